import Foundation
import Yams

/// Turns a runbook file's text into a `Runbook`, checking its structure: YAML syntax,
/// known keys, types of declarations, unique step ids. Plugin inputs and references are
/// checked afterwards by `RunbookValidator`, which knows the plugins.
public struct RunbookParser {
    public init() {}

    static let topLevelKeys: Set<String> = ["name", "description", "on_failure", "params", "steps"]
    static let paramKeys: Set<String> = ["type", "default", "required", "pattern", "description", "values", "secret"]
    static let stepKeys: Set<String> = ["id", "uses", "with", "foreach", "when", "retry", "timeout", "description"]
    static let retryKeys: Set<String> = ["max_attempts", "backoff"]
    static let namePattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$"

    /// Parses `source`, failing on any problem.
    public func parse(_ source: RunbookSource) throws(ValidationFailure) -> Runbook {
        let (runbook, diagnostics) = parseCollecting(source)
        guard let runbook, diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return runbook
    }

    /// Parses as much as it can: a runbook whenever its structure allows one (so the
    /// validator can report more problems in the same pass), and every problem found.
    public func parseCollecting(_ source: RunbookSource) -> (Runbook?, [Diagnostic]) {
        do {
            return try parseStructure(source)
        } catch {
            return (nil, error.diagnostics)
        }
    }

    private func parseStructure(_ source: RunbookSource) throws(ValidationFailure) -> (Runbook?, [Diagnostic]) {
        let yaml = YAMLValues(file: source.displayPath)
        guard let root = try yaml.compose(source.text) else {
            throw ValidationFailure("the runbook is empty", at: SourceLocation(file: source.displayPath, line: 1, column: 1))
        }
        let top = try MappingReader(root, context: "the runbook", values: yaml)
        var diagnostics = top.unknownKeys(Self.topLevelKeys)

        let name = top.string("name", into: &diagnostics)
        if name == nil, top.node("name") == nil {
            diagnostics.append(Diagnostic("the runbook has no 'name'", at: top.location))
        } else if let name, !Self.matches(name, Self.namePattern) {
            diagnostics.append(Diagnostic("name '\(name)' may only hold letters, digits, '-' and '_'",
                                          at: top.node("name").map(yaml.location)))
        }
        let description = top.string("description", into: &diagnostics) ?? ""

        var onFailure: FailurePolicy?
        if let text = top.string("on_failure", into: &diagnostics) {
            onFailure = FailurePolicy(rawValue: text)
            if onFailure == nil {
                diagnostics.append(Diagnostic("on_failure must be 'pause' or 'rollback', not '\(text)'",
                                              at: top.node("on_failure").map(yaml.location)))
            }
        }

        var params: [ParamSpec] = []
        if let node = top.node("params"), !Self.isNull(node) {
            do {
                let reader = try MappingReader(node, context: "params", values: yaml)
                for entry in reader.entries {
                    if let param = parseParam(entry.key, entry.keyNode, entry.value, yaml: yaml, into: &diagnostics) {
                        params.append(param)
                    }
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }

        var steps: [StepSpec] = []
        if let node = top.node("steps") {
            if case .sequence(let sequence) = node {
                for child in sequence {
                    if let step = parseStep(child, yaml: yaml, into: &diagnostics) { steps.append(step) }
                }
                if sequence.count == 0 {
                    diagnostics.append(Diagnostic("'steps' is empty", at: yaml.location(of: node)))
                }
            } else {
                diagnostics.append(Diagnostic("'steps' must be a list, not \(MappingReader.kindName(node))",
                                              at: yaml.location(of: node)))
            }
        } else {
            diagnostics.append(Diagnostic("the runbook has no 'steps'", at: top.location))
        }

        var seen: [String: SourceLocation] = [:]
        for step in steps {
            if let first = seen[step.id] {
                diagnostics.append(Diagnostic("duplicate step id '\(step.id)' (first at line \(first.line))", at: step.locations.id))
            } else {
                seen[step.id] = step.locations.id
            }
        }

        let runbook = Runbook(name: name ?? "", description: description, onFailure: onFailure, params: params,
                              steps: steps, source: source)
        return (runbook, diagnostics)
    }

    private func parseParam(_ name: String, _ keyNode: Node, _ node: Node, yaml: YAMLValues,
                            into diagnostics: inout [Diagnostic]) -> ParamSpec? {
        let reader: MappingReader
        do {
            reader = try MappingReader(node, context: "param '\(name)'", values: yaml)
        } catch {
            diagnostics += error.diagnostics
            return nil
        }
        defer { diagnostics += reader.unknownKeys(Self.paramKeys) }
        let location = yaml.location(of: keyNode)
        if !Self.matches(name, "^[A-Za-z_][A-Za-z0-9_]*$") {
            diagnostics.append(Diagnostic("param name '\(name)' may only hold letters, digits and '_'", at: location))
        }

        var type = ParamType.string
        if let text = reader.string("type", into: &diagnostics) {
            if let parsed = ParamType(rawValue: text) {
                type = parsed
            } else {
                diagnostics.append(Diagnostic(
                    "param '\(name)': unknown type '\(text)'; expected one of: \(ParamType.allCases.map(\.rawValue).joined(separator: ", "))",
                    at: reader.node("type").map(yaml.location)))
            }
        }

        var allowed: [String] = []
        if let valuesNode = reader.node("values") {
            if case .sequence(let sequence) = valuesNode {
                allowed = sequence.compactMap { $0.scalar?.string }
            } else {
                diagnostics.append(Diagnostic("param '\(name)': 'values' must be a list", at: yaml.location(of: valuesNode)))
            }
        }
        if type == .enum, allowed.isEmpty {
            diagnostics.append(Diagnostic("param '\(name)' of type enum needs a list of 'values'", at: location))
        }

        var pattern = reader.string("pattern", into: &diagnostics)
        if let text = pattern, !TextPattern.isValid(text) {
            diagnostics.append(Diagnostic("param '\(name)': 'pattern' is not a valid regular expression",
                                          at: reader.node("pattern").map(yaml.location)))
            pattern = nil
        }

        var required = false
        if let node = reader.node("required") {
            if let flag = node.bool, node.scalar?.tagName == .bool { required = flag } else {
                diagnostics.append(Diagnostic("param '\(name)': 'required' must be true or false", at: yaml.location(of: node)))
            }
        }
        var secret = false
        if let node = reader.node("secret") {
            if let flag = node.bool, node.scalar?.tagName == .bool { secret = flag } else {
                diagnostics.append(Diagnostic("param '\(name)': 'secret' must be true or false", at: yaml.location(of: node)))
            }
        }
        if secret, type != .string {
            diagnostics.append(Diagnostic("param '\(name)': only string params can be secret", at: location))
        }

        var defaultValue: Value?
        if let node = reader.node("default") {
            do {
                let value = try yaml.value(of: node)
                defaultValue = value
                let spec = ParamSpec(name: name, type: type, defaultValue: nil, isRequired: required, pattern: pattern,
                                     description: nil, allowedValues: allowed, isSecret: secret, location: location)
                // A default that refers to other params is checked once they are bound.
                let isTemplate = (try? value.references().isEmpty == false) ?? false
                if !isTemplate, let problem = ParamBinder.problem(with: value, for: spec) {
                    diagnostics.append(Diagnostic("param '\(name)': default \(problem)", at: yaml.location(of: node)))
                    defaultValue = nil
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        // A param with problems of its own is still declared, so references to it do not
        // add false "unknown param" errors; the runbook is rejected for its own problems.
        return ParamSpec(name: name, type: type, defaultValue: defaultValue, isRequired: required, pattern: pattern,
                         description: reader.string("description", into: &diagnostics), allowedValues: allowed,
                         isSecret: secret, location: location)
    }

    private func parseStep(_ node: Node, yaml: YAMLValues, into diagnostics: inout [Diagnostic]) -> StepSpec? {
        let reader: MappingReader
        do {
            reader = try MappingReader(node, context: "a step", values: yaml)
        } catch {
            diagnostics += error.diagnostics
            return nil
        }
        defer { diagnostics += reader.unknownKeys(Self.stepKeys) }
        let stepLocation = yaml.location(of: node)

        let id = reader.string("id", into: &diagnostics)
        if reader.node("id") == nil {
            diagnostics.append(Diagnostic("a step has no 'id'", at: stepLocation))
        } else if let id, !Self.matches(id, Self.namePattern) {
            diagnostics.append(Diagnostic("step id '\(id)' may only hold letters, digits, '-' and '_'",
                                          at: reader.node("id").map(yaml.location)))
        }
        let uses = reader.string("uses", into: &diagnostics)
        if reader.node("uses") == nil {
            diagnostics.append(Diagnostic("step '\(id ?? "?")' has no 'uses' (the plugin to run)", at: stepLocation))
        }

        var with: [String: Value] = [:]
        var inputLocations: [String: SourceLocation] = [:]
        var inputKeyLocations: [String: SourceLocation] = [:]
        let withNode = reader.node("with")
        if let withNode, !Self.isNull(withNode) {
            do {
                let inputs = try MappingReader(withNode, context: "'with' of step '\(id ?? "?")'", values: yaml)
                for entry in inputs.entries {
                    with[entry.key] = try yaml.value(of: entry.value)
                    inputLocations[entry.key] = yaml.location(of: entry.value)
                    inputKeyLocations[entry.key] = yaml.location(of: entry.keyNode)
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }

        var foreach: Value?
        if let node = reader.node("foreach") {
            do { foreach = try yaml.value(of: node) } catch { diagnostics += error.diagnostics }
            if case .map = foreach {
                diagnostics.append(Diagnostic("'foreach' must be a list or a reference to one", at: yaml.location(of: node)))
            }
        }
        var when: Condition?
        if let node = reader.node("when") {
            do {
                switch Condition.parse(try yaml.value(of: node)) {
                case .success(let condition): when = condition
                case .failure(let error): diagnostics.append(Diagnostic(error.message, at: yaml.location(of: node)))
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }

        var retry = RetrySpec.none
        if let node = reader.node("retry") {
            do {
                let r = try MappingReader(node, context: "'retry' of step '\(id ?? "?")'", values: yaml)
                diagnostics += r.unknownKeys(Self.retryKeys)
                if let n = r.node("max_attempts") {
                    if let attempts = n.int, n.scalar?.tagName == .int, attempts >= 1, attempts <= 100 {
                        retry.maxAttempts = attempts
                    } else {
                        diagnostics.append(Diagnostic("'max_attempts' must be a whole number from 1 to 100", at: yaml.location(of: n)))
                    }
                }
                if let n = r.node("backoff") {
                    if let text = n.scalar?.string, let duration = Duration(runbookText: text) {
                        retry.backoff = duration
                    } else {
                        diagnostics.append(Diagnostic("'backoff' must be a duration such as 2s or 500ms", at: yaml.location(of: n)))
                    }
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }

        var timeout: Duration?
        if let n = reader.node("timeout") {
            if let text = n.scalar?.string, let duration = Duration(runbookText: text), duration > .zero {
                timeout = duration
            } else {
                diagnostics.append(Diagnostic("'timeout' must be a duration such as 30s or 5m", at: yaml.location(of: n)))
            }
        }

        // Keep a step with problems of its own (reported above) so references to it are
        // checked normally instead of cascading into "unknown step".
        guard let id, let uses else { return nil }
        let locations = StepLocations(
            step: stepLocation,
            id: reader.node("id").map(yaml.location) ?? stepLocation,
            uses: reader.node("uses").map(yaml.location) ?? stepLocation,
            with: withNode.map(yaml.location),
            inputs: inputLocations,
            inputKeys: inputKeyLocations,
            foreach: reader.node("foreach").map(yaml.location),
            when: reader.node("when").map(yaml.location))
        return StepSpec(id: id, uses: uses, description: reader.string("description", into: &diagnostics), with: with,
                        foreach: foreach, when: when, retry: retry, timeout: timeout, locations: locations)
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let s) = node { return s.tagName == .null }
        return false
    }

    static func matches(_ text: String, _ pattern: String) -> Bool {
        TextPattern.matches(text, pattern)
    }
}
