import Foundation
import Yams

/// Binds a run's params: `--params-file`, then `--param KEY=VALUE` (which wins), then
/// defaults; checks each against its declaration. Every problem is reported at once.
public struct ParamBinder {
    public let runbook: Runbook

    public init(runbook: Runbook) {
        self.runbook = runbook
    }

    /// A params file: a YAML (or JSON) mapping of param names to values.
    public struct ParamsFile: Sendable {
        public var displayPath: String
        public var text: String

        public init(displayPath: String, text: String) {
            self.displayPath = displayPath
            self.text = text
        }
    }

    public func bind(assignments: [String], file: ParamsFile? = nil) throws(ValidationFailure) -> [String: Value] {
        var diagnostics: [Diagnostic] = []
        var given: [String: (value: Value, location: SourceLocation?, origin: String)] = [:]

        if let file {
            let yaml = YAMLValues(file: file.displayPath)
            do {
                if let root = try yaml.compose(file.text) {
                    let reader = try MappingReader(root, context: "the params file", values: yaml)
                    for entry in reader.entries {
                        let location = yaml.location(of: entry.keyNode)
                        guard runbook.param(entry.key) != nil else {
                            diagnostics.append(Diagnostic(unknownParamMessage(entry.key), at: location))
                            continue
                        }
                        given[entry.key] = (try yaml.value(of: entry.value), yaml.location(of: entry.value), "param '\(entry.key)'")
                    }
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }

        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                diagnostics.append(Diagnostic("--param '\(assignment)': expected KEY=VALUE"))
                continue
            }
            let key = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            guard runbook.param(key) != nil else {
                diagnostics.append(Diagnostic("--param \(key): \(unknownParamMessage(key))"))
                continue
            }
            do {
                given[key] = (try Self.parseCommandLineValue(text, key: key), nil, "--param \(key)")
            } catch {
                diagnostics += error.diagnostics
            }
        }

        var bound: [String: Value] = [:]
        var withDefaults: [ParamSpec] = []
        for spec in runbook.params {
            if let entry = given[spec.name] {
                switch Self.coerce(entry.value, for: spec) {
                case .success(let value): bound[spec.name] = value
                case .failure(let problem):
                    diagnostics.append(Diagnostic(entry.location == nil ? "\(entry.origin): \(problem.message)" : "param '\(spec.name)': \(problem.message)",
                                                  at: entry.location))
                }
            } else if spec.defaultValue != nil {
                withDefaults.append(spec)
            } else if spec.isRequired {
                diagnostics.append(Diagnostic("missing required param '\(spec.name)'\(spec.description.map { " (\($0))" } ?? ""); pass --param \(spec.name)=VALUE",
                                              at: spec.location))
            } else {
                bound[spec.name] = .null
            }
        }

        // Defaults may refer to other params (`profile` defaults to `${params.user_name}`):
        // resolve them in passes until nothing more can be resolved.
        var remaining = withDefaults
        while !remaining.isEmpty {
            var progressed = false
            var next: [ParamSpec] = []
            let pending = Set(remaining.map(\.name))
            for spec in remaining {
                let value = spec.defaultValue ?? .null
                let references = (try? value.references()) ?? []
                let names = references.compactMap { ref -> String? in
                    if case .param(let name) = ref { return name }
                    return nil
                }
                // Refers to a param that has a problem of its own (already reported): skip.
                if names.contains(where: { bound[$0] == nil && !pending.contains($0) && runbook.param($0) != nil }) {
                    progressed = true
                    continue
                }
                let waiting = names.contains { bound[$0] == nil && pending.contains($0) }
                if waiting {
                    next.append(spec)
                    continue
                }
                progressed = true
                do {
                    let resolved = try Scope(params: bound).resolve(value).value
                    switch Self.coerce(resolved, for: spec) {
                    case .success(let coerced): bound[spec.name] = coerced
                    case .failure(let problem):
                        diagnostics.append(Diagnostic("param '\(spec.name)': default \(problem.message)", at: spec.location))
                    }
                } catch {
                    diagnostics.append(Diagnostic("param '\(spec.name)': default: \(error)", at: spec.location))
                }
            }
            if !progressed {
                for spec in next {
                    diagnostics.append(Diagnostic("param '\(spec.name)': its default refers to params in a cycle", at: spec.location))
                }
                break
            }
            remaining = next
        }

        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return bound
    }

    private func unknownParamMessage(_ key: String) -> String {
        let known = runbook.params.map(\.name)
        if known.isEmpty { return "unknown param '\(key)': runbook '\(runbook.name)' takes no params" }
        return "unknown param '\(key)': runbook '\(runbook.name)' takes \(known.joined(separator: ", "))"
    }

    /// `--param` values are YAML, so lists and maps can be given inline.
    static func parseCommandLineValue(_ text: String, key: String) throws(ValidationFailure) -> Value {
        let yaml = YAMLValues(file: "--param \(key)")
        do {
            guard let node = try yaml.compose(text) else { return .string("") }
            return try yaml.value(of: node)
        } catch {
            throw ValidationFailure(error.diagnostics.map { Diagnostic("--param \(key): \($0.message)") })
        }
    }

    public struct Problem: Error {
        public var message: String
    }

    /// Why `value` does not fit `spec`, or nil.
    static func problem(with value: Value, for spec: ParamSpec) -> String? {
        if case .failure(let problem) = coerce(value, for: spec) { return problem.message }
        return nil
    }

    /// Checks `value` against the declaration, converting scalars to text for string params.
    static func coerce(_ value: Value, for spec: ParamSpec) -> Result<Value, Problem> {
        if value.isNull {
            return spec.isRequired ? .failure(Problem(message: "must have a value")) : .success(.null)
        }
        var result = value
        switch spec.type {
        case .string, .enum:
            guard let text = value.interpolationText, value.kind != .list, value.kind != .map else {
                return .failure(Problem(message: "must be text, not a \(value.kind.rawValue)"))
            }
            result = .string(text)
            if spec.type == .enum, !spec.allowedValues.contains(text) {
                return .failure(Problem(message: "'\(text)' is not one of: \(spec.allowedValues.joined(separator: ", "))"))
            }
            // A value built from a secret (a default such as "Bearer ${params.token}") is secret.
            let isSecret = spec.isSecret || value.containsSecret
            if let pattern = spec.pattern, !TextPattern.matches(text, pattern) {
                let shown = isSecret ? "the value" : "'\(text)'"
                return .failure(Problem(message: "\(shown) does not match the pattern \(pattern)"))
            }
            if isSecret { result = .secret(Secret(text)) }
        case .int:
            guard case .int = value else { return .failure(Problem(message: "must be a whole number, not \(describe(value))")) }
        case .bool:
            guard case .bool = value else { return .failure(Problem(message: "must be true or false, not \(describe(value))")) }
        case .list:
            guard case .list(let items) = value else { return .failure(Problem(message: "must be a list, not \(describe(value))")) }
            if let pattern = spec.pattern {
                for item in items {
                    guard let text = item.interpolationText, TextPattern.matches(text, pattern) else {
                        return .failure(Problem(message: "item \(item.displayText) does not match the pattern \(pattern)"))
                    }
                }
            }
        case .map:
            guard case .map = value else { return .failure(Problem(message: "must be a mapping, not \(describe(value))")) }
        }
        return .success(result)
    }

    private static func describe(_ value: Value) -> String {
        switch value {
        case .list: return "a list"
        case .map: return "a mapping"
        default: return "\(value.kind.rawValue) \(value.displayText)"
        }
    }
}
