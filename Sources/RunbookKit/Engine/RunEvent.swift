/// What the engine reports while it works, for the CLI to render as progress.
public enum RunEvent: Sendable {
    case runStarted(runID: String, runbook: String, mode: Mode)
    /// Something the operator should know (`the runbook file changed; using the stored copy`).
    case notice(String)
    case instanceStarted(name: String, attempt: Int)
    case instanceFinished(name: String, state: InstanceState, elapsed: Duration, detail: String?)
    case retrying(name: String, attempt: Int, error: String, delay: Duration)
    case settled(name: String, outcome: String)
    case rollbackStarted(name: String)
    case rollbackFinished(name: String, state: InstanceState, elapsed: Duration, detail: String?)

    public enum Mode: String, Sendable {
        case execute, resume, rollback
    }
}

/// Receives `RunEvent`s; the CLI's progress renderer implements it.
public protocol RunObserver: Sendable {
    func handle(_ event: RunEvent)
}

/// Discards events.
public struct SilentObserver: RunObserver {
    public init() {}
    public func handle(_ event: RunEvent) {}
}
