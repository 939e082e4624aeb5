import RunbookKit

/// `core.wait`: pauses for a duration (`30s`, `2m`). Changes nothing; an interrupted wait
/// is simply waited again.
public struct CoreWait: StepPlugin {
    public static let id = "core.wait"
    public static let summary = "Wait for a duration"
    public static let inputs = Schema([.required("duration", .duration, "How long to wait: 500ms, 30s, 5m")])
    public static let outputs = OutputSchema([])

    public init() {}

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        (try? duration(inputs)) == nil ? [InputProblem(input: "duration", "must be a duration such as 30s")] : []
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        Plan(.create, "wait \(inputs["duration"]?.displayText ?? "?")")
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        try await Task.sleep(for: try duration(inputs))
        return Outputs([:])
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        .notApplied
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}

    private func duration(_ inputs: Inputs) throws -> Duration {
        guard let duration = try inputs.duration("duration") else { throw FieldError.missing("duration") }
        return duration
    }
}
