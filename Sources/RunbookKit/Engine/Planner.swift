import Foundation

/// One line of a plan.
public struct PlanEntry: Sendable {
    public var instance: String
    public var stepID: String
    public var uses: String
    public var plan: Plan
    /// `when` was false: the instance will be skipped.
    public var isSkipped: Bool
}

/// What a run would do, computed without writing anything.
public struct RunPlan: Sendable {
    public var runbook: String
    public var params: [String: Value]
    public var entries: [PlanEntry]

    public var blocked: [PlanEntry] { entries.filter { $0.plan.mark == .blocked } }

    /// The undo of every step that will have something to undo, newest first.
    public var rollback: [PlanEntry] { entries.reversed().filter { !$0.isSkipped && $0.plan.undo != nil } }
}

/// Computes plans: for `execute --dry-run`, and as the pre-flight check of `execute`.
/// It resolves params and inputs, runs each plugin's `validate` and read-only `plan`, and
/// writes nothing: no run row, no file, no call that changes anything.
public struct Planner: Sendable {
    public var registry: PluginRegistry
    public var environment: [String: String]
    public var workingDirectory: String
    /// The pre-flight of a real run, rather than `--dry-run`.
    public var isPreflight: Bool

    public init(registry: PluginRegistry, environment: [String: String], workingDirectory: String, isPreflight: Bool = false) {
        self.registry = registry
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.isPreflight = isPreflight
    }

    /// Throws `ValidationFailure` for input values a plugin rejects (with their locations).
    public func plan(_ runbook: Runbook, params: [String: Value]) async throws(ValidationFailure) -> RunPlan {
        var entries: [PlanEntry] = []
        var diagnostics: [Diagnostic] = []
        let scope = Scope(params: params, defersUnknownOutputs: true)
        // Plans and problems are printed: scrub every secret they might quote.
        var redactor = Redactor(collecting: Array(params.values))

        for step in runbook.steps {
            guard let plugin = registry.plugin(step.uses) else { continue }
            // A step skipped whatever its item is planned as one line, not one per item.
            if let when = step.when, !Self.refersToItem(when), (try? when.evaluate(in: scope)) == false {
                entries.append(PlanEntry(instance: step.foreach == nil ? step.id : "\(step.id)[*]", stepID: step.id, uses: step.uses,
                                         plan: Plan(.unchanged, "skipped: \(when) is false"), isSkipped: true))
                continue
            }
            var instances: [(name: String, item: Value?)] = [(step.id, nil)]
            var itemsDeferred = false
            if let foreach = step.foreach {
                do {
                    let resolved = try scope.resolve(foreach)
                    if resolved.isDeferred {
                        instances = [("\(step.id)[*]", .string("(each item of \(foreach.displayText))"))]
                        itemsDeferred = true
                    } else if case .list(let items) = resolved.value {
                        instances = zip(InstanceNaming.names(step: step.id, items: items), items).map { ($0, $1) }
                    } else {
                        diagnostics.append(Diagnostic("step '\(step.id)': foreach must be a list, not \(resolved.value.kind.rawValue)",
                                                      at: step.locations.foreach))
                        continue
                    }
                } catch {
                    diagnostics.append(Diagnostic("step '\(step.id)': foreach: \(error)", at: step.locations.foreach))
                    continue
                }
            }

            for instance in instances {
                var itemScope = scope
                itemScope.item = instance.item
                itemScope.itemIsDeferred = itemsDeferred
                let context = StepContext(runID: "(dry-run)", instance: instance.name, attempt: 0, environment: environment,
                                          workingDirectory: workingDirectory, isDryRun: true, isPreflight: isPreflight)
                var whenNote: String?
                if let when = step.when {
                    do {
                        let decision = try when.evaluate(in: itemScope)
                        if decision == nil {
                            whenNote = "only if \(when.description)"
                        } else if decision == false {
                            entries.append(PlanEntry(instance: instance.name, stepID: step.id, uses: step.uses,
                                                     plan: Plan(.unchanged, "skipped: \(when) is false"), isSkipped: true))
                            continue
                        }
                    } catch {
                        diagnostics.append(Diagnostic("step '\(step.id)': when: \(error)", at: step.locations.when))
                        continue
                    }
                }

                let inputs: Inputs
                do {
                    inputs = try Self.resolveInputs(step, plugin: plugin, scope: itemScope)
                } catch {
                    diagnostics.append(Diagnostic("step '\(step.id)': \(error)", at: step.locations.with ?? step.locations.step))
                    continue
                }
                redactor.add(inputs)
                let problems = plugin.validate(inputs).filter { !inputs.isDeferred($0.input) }
                for problem in problems {
                    diagnostics.append(Diagnostic("step '\(step.id)': \(redactor.redact(problem.description))",
                                                  at: step.locations.input(problem.input)))
                }
                guard problems.isEmpty else { continue }

                var plan: Plan
                do {
                    plan = try await plugin.plan(inputs, context: context)
                } catch {
                    plan = .blocked(step.uses, because: "\(error)")
                }
                if let whenNote { plan.note = [plan.note, whenNote].compactMap { $0 }.joined(separator: "; ") }
                plan.summary = redactor.redact(plan.summary)
                plan.note = plan.note.map(redactor.redact)
                plan.undo = plan.undo.map(redactor.redact)
                entries.append(PlanEntry(instance: instance.name, stepID: step.id, uses: step.uses, plan: plan, isSkipped: false))
            }
        }
        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return RunPlan(runbook: runbook.name, params: params, entries: entries)
    }

    static func refersToItem(_ condition: Condition) -> Bool {
        condition.operands.contains { operand in
            ((try? operand.references()) ?? []).contains { if case .item = $0 { return true } else { return false } }
        }
    }

    /// A step's `with:` resolved against `scope`, plugin defaults filled in; inputs that
    /// depend on steps not yet run are marked deferred.
    static func resolveInputs(_ step: StepSpec, plugin: any StepPlugin, scope: Scope) throws(ResolutionError) -> Inputs {
        var inputs = Inputs([:])
        let schema = type(of: plugin).inputs
        if schema.acceptsAnyInput {
            for (name, raw) in step.with where schema.field(name) == nil {
                let resolved = try scope.resolve(raw)
                inputs[name] = resolved.value
                if resolved.isDeferred { inputs.deferred.insert(name) }
            }
        }
        for field in schema.fields {
            guard let raw = step.with[field.name] else {
                if let value = field.defaultValue { inputs[field.name] = value }
                continue
            }
            let resolved = try scope.resolve(raw)
            inputs[field.name] = resolved.value
            if resolved.isDeferred { inputs.deferred.insert(field.name) }
        }
        return inputs
    }
}
