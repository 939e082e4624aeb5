import RunbookKit

/// `core.set`: outputs its inputs. For computing values once (later steps reference them as
/// `${steps.ID.NAME}`) and for benchmarking the engine itself: it touches nothing outside.
public struct CoreSet: StepPlugin {
    public static let id = "core.set"
    public static let summary = "Record values as outputs, for later steps to reference"
    public static let inputs = Schema.anyInputs
    public static let outputs = OutputSchema.mirroringInputs

    public init() {}

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        Plan(.create, "set " + (inputs.names.isEmpty ? "nothing" : inputs.names.joined(separator: ", ")))
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        Outputs(inputs.values)
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        .applied(Outputs(inputs.values))
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}
}
