/// Checks a parsed runbook against the plugins: every `uses:` names a known plugin, every
/// input is known, present when required and of the right type, and every `${...}` names a
/// declared param or an output of an earlier step.
public struct RunbookValidator {
    public let registry: PluginRegistry

    public init(registry: PluginRegistry) {
        self.registry = registry
    }

    public func validate(_ runbook: Runbook) throws(ValidationFailure) {
        var diagnostics: [Diagnostic] = []
        let params = Dictionary(runbook.params.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        for param in runbook.params {
            guard let value = param.defaultValue else { continue }
            do {
                for reference in try value.references() {
                    guard case .param(let name) = reference else {
                        diagnostics.append(Diagnostic("param '\(param.name)': a default may only refer to params, not ${\(reference)}",
                                                      at: param.location))
                        continue
                    }
                    if params[name] == nil {
                        diagnostics.append(Diagnostic("param '\(param.name)': default refers to unknown param '\(name)'", at: param.location))
                    }
                }
            } catch {
                diagnostics.append(Diagnostic("param '\(param.name)': default: \(error)", at: param.location))
            }
        }

        for (index, step) in runbook.steps.enumerated() {
            guard let plugin = registry.plugin(step.uses) else {
                let near = registry.ids.first { MappingReader.isNearMiss(step.uses, $0) }
                let hint = near.map { "; did you mean '\($0)'?" } ?? "; see `runbook plugins`"
                diagnostics.append(Diagnostic("step '\(step.id)': unknown plugin '\(step.uses)'\(hint)", at: step.locations.uses))
                continue
            }
            let schema = type(of: plugin).inputs
            let context = ReferenceContext(runbook: runbook, registry: registry, params: params, stepIndex: index)

            for name in step.with.keys.sorted() where schema.field(name) == nil && !schema.acceptsAnyInput {
                let known = schema.fields.map(\.name)
                let near = known.first { MappingReader.isNearMiss(name, $0) }
                let hint = near.map { "; did you mean '\($0)'?" } ?? "; \(step.uses) takes: \(known.joined(separator: ", "))"
                diagnostics.append(Diagnostic("step '\(step.id)': unknown input '\(name)'\(hint)",
                                              at: step.locations.inputKeys[name] ?? step.locations.input(name)))
            }
            if schema.acceptsAnyInput {
                for name in step.with.keys.sorted() where schema.field(name) == nil {
                    diagnostics += context.check(step.with[name] ?? .null, as: .any, what: "input '\(name)'", step: step,
                                                 at: step.locations.input(name))
                }
            }
            for field in schema.fields {
                guard let value = step.with[field.name] else {
                    if field.isRequired {
                        diagnostics.append(Diagnostic("step '\(step.id)': missing required input '\(field.name)' of \(step.uses)",
                                                      at: step.locations.with ?? step.locations.step))
                    }
                    continue
                }
                let location = step.locations.input(field.name)
                diagnostics += context.check(value, as: field.type, what: "input '\(field.name)'", step: step, at: location)
            }

            if let foreach = step.foreach {
                let location = step.locations.foreach ?? step.locations.step
                diagnostics += context.check(foreach, as: .list, what: "foreach", step: step, at: location, itemAllowed: false)
            }
            for operand in step.when?.operands ?? [] {
                diagnostics += context.check(operand, as: .any, what: "when", step: step, at: step.locations.when ?? step.locations.step)
            }
        }
        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
    }
}

/// What references in one step may point at.
private struct ReferenceContext {
    let runbook: Runbook
    let registry: PluginRegistry
    let params: [String: ParamSpec]
    let stepIndex: Int

    func check(_ value: Value, as expected: FieldType, what: String, step: StepSpec, at location: SourceLocation,
               itemAllowed: Bool = true) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        // The whole value is one reference: its type is the referenced value's.
        if case .string(let text) = value, text.contains("${") {
            let template: Template
            do {
                template = try Template(parsing: text)
            } catch {
                return [Diagnostic("step '\(step.id)': \(what): \(error)", at: location)]
            }
            for reference in template.references {
                if let problem = problem(with: reference, step: step, itemAllowed: itemAllowed) {
                    diagnostics.append(Diagnostic("step '\(step.id)': \(what): \(problem)", at: location))
                }
            }
            guard diagnostics.isEmpty else { return diagnostics }
            if template.soleReference == nil {
                for reference in template.references {
                    if let kind = fieldType(of: reference, step: step), kind == .list || kind == .map {
                        diagnostics.append(Diagnostic(
                            "step '\(step.id)': \(what): ${\(reference)} is a \(kind.rawValue) and cannot be part of a string; use it as the whole value",
                            at: location))
                    }
                }
                guard diagnostics.isEmpty else { return diagnostics }
            }
            if let reference = template.soleReference, let kind = fieldType(of: reference, step: step),
               expected != .any, kind != .any, !compatible(kind, expected) {
                diagnostics.append(Diagnostic(
                    "step '\(step.id)': \(what) must be \(expected.rawValue), but ${\(reference)} is \(kind.rawValue)", at: location))
            } else if template.soleReference == nil, expected != .any, expected != .string, expected != .duration {
                diagnostics.append(Diagnostic("step '\(step.id)': \(what) must be \(expected.rawValue), not text", at: location))
            }
            return diagnostics
        }
        if !expected.accepts(value) {
            diagnostics.append(Diagnostic("step '\(step.id)': \(what) must be \(expected.rawValue), not \(value.kind.rawValue) \(value.displayText)",
                                          at: location))
        }
        // References nested inside lists and maps.
        switch value {
        case .list, .map: diagnostics += nested(value, what: what, step: step, at: location, itemAllowed: itemAllowed)
        default: break
        }
        return diagnostics
    }

    private func nested(_ value: Value, what: String, step: StepSpec, at location: SourceLocation, itemAllowed: Bool) -> [Diagnostic] {
        do {
            return try value.references().compactMap { reference in
                problem(with: reference, step: step, itemAllowed: itemAllowed).map {
                    Diagnostic("step '\(step.id)': \(what): \($0)", at: location)
                }
            }
        } catch {
            return [Diagnostic("step '\(step.id)': \(what): \(error)", at: location)]
        }
    }

    private func problem(with reference: Reference, step: StepSpec, itemAllowed: Bool) -> String? {
        switch reference {
        case .param(let name):
            if params[name] == nil {
                let known = params.keys.sorted()
                return "unknown param '\(name)'" + (known.isEmpty ? " (the runbook declares none)" : "; declared: \(known.joined(separator: ", "))")
            }
        case .runID:
            return nil
        case .item:
            if step.foreach == nil { return "${\(reference)} is only defined in a step with foreach" }
            if !itemAllowed { return "foreach cannot refer to its own ${item}" }
        case .stepOutput(let id, let output):
            guard let target = runbook.steps.firstIndex(where: { $0.id == id }) else {
                return "unknown step '\(id)'"
            }
            if target == stepIndex { return "step '\(id)' cannot refer to its own outputs" }
            if target > stepIndex { return "refers forward to step '\(id)', which runs later" }
            let producer = runbook.steps[target]
            guard let plugin = registry.plugin(producer.uses) else { return nil }  // reported at that step
            let outputs = Swift.type(of: plugin).outputs
            if outputs.mirrorsInputs {
                if producer.with[output] == nil {
                    return "step '\(id)' has no output '\(output)'; it outputs its inputs: \(producer.with.keys.sorted().joined(separator: ", "))"
                }
            } else if outputs.field(output) == nil {
                return "step '\(id)' (\(producer.uses)) has no output '\(output)'; it has: \(outputs.fields.map(\.name).joined(separator: ", "))"
            }
        }
        return nil
    }

    /// The type a reference will have, where it is known before the run.
    private func fieldType(of reference: Reference, step: StepSpec) -> FieldType? {
        switch reference {
        case .param(let name):
            switch params[name]?.type {
            case .string, .enum: return .string
            case .int: return .int
            case .bool: return .bool
            case .list: return .list
            case .map: return .map
            case nil: return nil
            }
        case .runID: return .string
        case .item: return .any
        case .stepOutput(let id, let output):
            guard let producer = runbook.steps.first(where: { $0.id == id }),
                  let plugin = registry.plugin(producer.uses) else { return nil }
            let single: FieldType = Swift.type(of: plugin).outputs.field(output)?.type ?? .any
            return producer.foreach == nil ? single : .list
        }
    }

    private func compatible(_ kind: FieldType, _ expected: FieldType) -> Bool {
        if kind == expected { return true }
        switch (kind, expected) {
        case (.int, .string), (.bool, .string), (.string, .duration), (.int, .duration): return true
        default: return false
        }
    }
}
