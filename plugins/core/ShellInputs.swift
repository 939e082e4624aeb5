import RunbookKit

/// The inputs of a `core.shell` step, read and checked.
struct ShellInputs: Sendable {
    var run: String
    var check: String?
    var undo: String?
    var env: [String: String]
    var timeout: Duration?
    /// Some input came from a secret: whatever the commands print may reveal it, so their
    /// stdout is returned as a secret too (anything built from a secret is a secret).
    var isSensitive: Bool

    init(_ inputs: Inputs) throws {
        run = try inputs.string("run")
        check = try inputs.optionalString("check")
        undo = try inputs.optionalString("undo")
        env = try inputs.stringMap("env")
        timeout = try Self.timeout(inputs)
        isSensitive = ["run", "check", "undo", "env"].contains { inputs[$0]?.containsSecret ?? false }
    }

    /// `30s`, `5m`, `500ms`, or a number of seconds, more than zero. Nil when absent.
    static func timeout(_ inputs: Inputs) throws -> Duration? {
        guard let duration = try inputs.duration("timeout") else { return nil }
        guard duration > .zero else { throw PluginError("timeout must be more than zero") }
        return duration
    }

    /// Every problem with `inputs`, one per input, for `StepPlugin.validate`. Names values
    /// only where they cannot be secret (variable names, the timeout).
    static func problems(_ inputs: Inputs) -> [InputProblem] {
        var problems: [InputProblem] = []
        for name in ["run", "check", "undo"] {
            guard let value = inputs[name], !value.isNull else { continue }
            guard let text = value.stringValue else {
                problems.append(InputProblem(input: name, "must be a string, not \(value.kind.rawValue)"))
                continue
            }
            if name == "run", text.allSatisfy(\.isWhitespace) {
                problems.append(InputProblem(input: name, "must not be empty"))
            }
            if text.utf8.contains(0) { problems.append(InputProblem(input: name, "contains a NUL byte")) }
        }
        do {
            for (variable, value) in try inputs.stringMap("env") {
                if variable.isEmpty || variable.contains("=") || variable.utf8.contains(0) {
                    problems.append(InputProblem(input: "env", "'\(variable)' is not a valid environment variable name"))
                }
                if value.utf8.contains(0) {
                    problems.append(InputProblem(input: "env", "the value of '\(variable)' contains a NUL byte"))
                }
            }
        } catch {
            problems.append(InputProblem(input: "env", "\(error)"))
        }
        do {
            _ = try timeout(inputs)
        } catch {
            problems.append(InputProblem(input: "timeout", "\(error)"))
        }
        return problems
    }
}
