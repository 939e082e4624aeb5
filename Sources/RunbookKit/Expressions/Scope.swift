/// The values `${...}` references resolve against, at one point of a run.
public struct Scope: Sendable {
    public var params: [String: Value]
    /// Outputs of steps that have run, by step id.
    public var steps: [String: StepResult]
    /// The current `foreach` item.
    public var item: Value?
    /// Dry-run: the item is a placeholder for a list only known at run time.
    public var itemIsDeferred = false
    public var runID: String?
    /// Dry-run: a reference to a step that has not run becomes a placeholder instead of an error.
    public var defersUnknownOutputs: Bool

    public init(params: [String: Value], steps: [String: StepResult] = [:], item: Value? = nil,
                runID: String? = nil, defersUnknownOutputs: Bool = false) {
        self.params = params
        self.steps = steps
        self.item = item
        self.runID = runID
        self.defersUnknownOutputs = defersUnknownOutputs
    }

    /// What later steps can see of a step.
    public enum StepResult: Sendable {
        /// A plain step that applied.
        case single(Outputs)
        /// A `foreach` step: the outputs of its applied instances, in order.
        case each([Outputs])
        /// Skipped by `when`: its outputs read as null.
        case skipped
    }

    /// A resolved value, and whether it depends on something only known at run time.
    public struct Resolved: Sendable {
        public var value: Value
        public var isDeferred: Bool
    }

    /// Substitutes every reference inside `value`, at any depth.
    public func resolve(_ value: Value) throws(ResolutionError) -> Resolved {
        switch value {
        case .string(let text):
            guard text.contains("${") else { return Resolved(value: value, isDeferred: false) }
            let template: Template
            do { template = try Template(parsing: text) } catch { throw .template(error) }
            return try resolve(template)
        case .list(let items):
            var deferred = false
            var result: [Value] = []
            for item in items {
                let r = try resolve(item)
                deferred = deferred || r.isDeferred
                result.append(r.value)
            }
            return Resolved(value: .list(result), isDeferred: deferred)
        case .map(let entries):
            var deferred = false
            var result: [String: Value] = [:]
            for (key, item) in entries {
                let r = try resolve(item)
                deferred = deferred || r.isDeferred
                result[key] = r.value
            }
            return Resolved(value: .map(result), isDeferred: deferred)
        default:
            return Resolved(value: value, isDeferred: false)
        }
    }

    public func resolve(_ template: Template) throws(ResolutionError) -> Resolved {
        if let reference = template.soleReference {
            return try lookUp(reference)
        }
        var text = ""
        var deferred = false
        var secret = false
        for part in template.parts {
            switch part {
            case .literal(let literal):
                text += literal
            case .reference(let reference):
                let resolved = try lookUp(reference)
                if case .secret(let secret) = resolved.value, !secret.isAvailable {
                    throw .secretUnavailable(reference)
                }
                guard let piece = resolved.value.interpolationText else {
                    throw .notInterpolable(reference, resolved.value.kind)
                }
                deferred = deferred || resolved.isDeferred
                secret = secret || resolved.value.containsSecret
                text += piece
            }
        }
        // Anything built from a secret is a secret.
        return Resolved(value: secret ? .secret(Secret(text)) : .string(text), isDeferred: deferred)
    }

    public func lookUp(_ reference: Reference) throws(ResolutionError) -> Resolved {
        switch reference {
        case .param(let name):
            guard let value = params[name] else { throw .unknown(reference) }
            return Resolved(value: value, isDeferred: false)
        case .runID:
            guard let runID else {
                if defersUnknownOutputs { return Resolved(value: .string("(run id)"), isDeferred: true) }
                throw .unknown(reference)
            }
            return Resolved(value: .string(runID), isDeferred: false)
        case .item(let path):
            guard var value = item else { throw .noItem }
            if itemIsDeferred { return Resolved(value: value, isDeferred: true) }
            for key in path {
                guard case .map(let entries) = value, let next = entries[key] else {
                    throw .unknown(reference)
                }
                value = next
            }
            return Resolved(value: value, isDeferred: itemIsDeferred)
        case .stepOutput(let step, let output):
            switch steps[step] {
            case .single(let outputs):
                guard let value = outputs[output] else { throw .missingOutput(step: step, output: output) }
                return Resolved(value: value, isDeferred: false)
            case .each(let all):
                return Resolved(value: .list(all.map { $0[output] ?? .null }), isDeferred: false)
            case .skipped:
                return Resolved(value: .null, isDeferred: false)
            case nil:
                if defersUnknownOutputs {
                    return Resolved(value: .string("(\(step).\(output))"), isDeferred: true)
                }
                throw .notYetRun(step: step)
            }
        }
    }
}

/// A reference could not be resolved at run time. Validation catches most of these
/// before the run starts; what remains depends on values only known while running.
public enum ResolutionError: Error, Sendable, Equatable, CustomStringConvertible {
    case template(TemplateError)
    case unknown(Reference)
    case noItem
    case notYetRun(step: String)
    case missingOutput(step: String, output: String)
    case notInterpolable(Reference, ValueKind)
    case secretUnavailable(Reference)

    public var description: String {
        switch self {
        case .template(let error): return error.description
        case .unknown(let reference): return "unknown reference ${\(reference)}"
        case .noItem: return "${item} is only defined in a step with foreach"
        case .notYetRun(let step): return "step '\(step)' has not run yet"
        case .missingOutput(let step, let output): return "step '\(step)' produced no output '\(output)'"
        case .notInterpolable(let reference, let kind):
            return "${\(reference)} is a \(kind.rawValue) and cannot be part of a string; use it as the whole value"
        case .secretUnavailable(let reference):
            return "${\(reference)} is a secret that is no longer available (purged after the run delivered it)"
        }
    }
}
