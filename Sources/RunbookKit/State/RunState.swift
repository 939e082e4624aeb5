/// Where a run stands. These words, exactly, appear in all output.
public enum RunState: String, Sendable, CaseIterable, Codable {
    /// A process is executing it (or was, and died: then it reads as `interrupted`).
    case running
    case succeeded
    /// A step failed; the run is paused for `resume` or `rollback`.
    case failed
    /// Its owner died or was stopped before the run finished.
    case interrupted
    case rollingBack = "rolling-back"
    case rolledBack = "rolled-back"
    case rollbackFailed = "rollback-failed"
}

/// Where one step instance stands.
public enum InstanceState: String, Sendable, CaseIterable, Codable {
    case pending
    /// The intent is committed; apply may or may not have happened (in doubt after a crash).
    case started
    case applied
    case failed
    /// `when` was false.
    case skipped
    /// Rollback is committed to; undo may or may not have happened.
    case rollingBack = "rolling-back"
    case rolledBack = "rolled-back"
}
