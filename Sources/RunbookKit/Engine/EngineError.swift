/// Why the engine did not run, or stopped, other than a step failing (which is a run
/// outcome, not an error).
public enum EngineError: Error, Sendable, CustomStringConvertible {
    /// The runbook or its params are invalid: nothing was written.
    case invalid(ValidationFailure)
    case store(StoreError)
    /// Pre-flight found steps that cannot proceed: nothing was changed, no run recorded.
    case blocked([PlanEntry])
    /// The run is in a state this command does not apply to.
    case wrongState(runID: String, state: RunState, hint: String)

    public var description: String {
        switch self {
        case .invalid(let error): return error.description
        case .store(let error): return error.description
        case .blocked(let entries):
            let lines = entries.map { "  ! \($0.instance): \($0.plan.summary)\($0.plan.note.map { ": \($0)" } ?? "")" }
            return "the run cannot start; nothing was changed:\n" + lines.joined(separator: "\n")
        case .wrongState(let runID, let state, let hint):
            return "run \(runID) is \(state.rawValue); \(hint)"
        }
    }
}

/// How a run ended this time.
public struct RunOutcome: Sendable {
    public var runID: String
    public var runbook: String
    public var state: RunState
    /// Why it did not succeed.
    public var error: String?
    /// The signal that stopped it (SIGINT, SIGTERM), if one did.
    public var signal: Int32?

    public init(runID: String, runbook: String, state: RunState, error: String? = nil, signal: Int32? = nil) {
        self.runID = runID
        self.runbook = runbook
        self.state = state
        self.error = error
        self.signal = signal
    }
}
