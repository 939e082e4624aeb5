import Foundation

/// A run as stored.
public struct RunRecord: Sendable {
    public var id: String
    public var runbook: String
    /// The runbook file as the operator named it, and its exact text when the run started.
    public var source: RunbookSource
    public var definitionDigest: String
    public var params: [String: Value]
    public var state: RunState
    public var onFailure: FailurePolicy
    public var keepsSecrets: Bool
    public var createdAt: Date
    public var updatedAt: Date
    /// Why the run stopped, when it did not succeed.
    public var error: String?
    public var lease: Lease?

    /// The state an operator should see: a `running` or `rolling-back` run whose owner is
    /// dead reads as `interrupted` until another process takes it over.
    public func effectiveState(now: Date = Date()) -> RunState {
        guard state == .running || state == .rollingBack else { return state }
        guard let lease, lease.isHeld(now: now) else { return .interrupted }
        return state
    }
}

/// One execution of a step: the step itself, or one `foreach` item of it.
public struct InstanceRecord: Sendable {
    public var runID: String
    /// Order of execution within the run; rollback goes in reverse.
    public var position: Int
    public var stepID: String
    public var stepIndex: Int
    /// `attach-policy[AdministratorAccess]`, or the step id for a plain step.
    public var name: String
    public var item: Value?
    public var state: InstanceState
    public var attempt: Int
    public var inputs: Inputs?
    public var intent: Intent?
    public var outputs: Outputs?
    public var error: String?
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(runID: String, position: Int, stepID: String, stepIndex: Int, name: String, item: Value?,
                state: InstanceState = .pending, attempt: Int = 0) {
        self.runID = runID
        self.position = position
        self.stepID = stepID
        self.stepIndex = stepIndex
        self.name = name
        self.item = item
        self.state = state
        self.attempt = attempt
    }
}

/// A line of a run's journal: append-only, never rewritten.
public struct JournalEntry: Sendable {
    public var sequence: Int64
    public var runID: String
    public var at: Date
    public var instance: String?
    public var kind: JournalKind
    public var message: String
}

public enum JournalKind: String, Sendable, CaseIterable {
    case created, leased, takenOver = "taken-over", released, expanded
    case started, applied, failed, skipped, settled
    case rollingBack = "rolling-back", rolledBack = "rolled-back", rollbackFailed = "rollback-failed"
    case state, note, purged
}

/// Who owns a run right now.
public struct Lease: Sendable, Hashable {
    public var owner: LeaseOwner
    public var heartbeat: Date

    /// Whether the owner still holds it: alive on this host, or heartbeating from elsewhere.
    public func isHeld(now: Date = Date()) -> Bool {
        owner.isAlive(lastHeartbeat: heartbeat, now: now)
    }
}
