import Foundation

/// Where runs, their instances and journals live. The engine is the only writer; plugins
/// never see the store. SQLite (`SQLiteRunStore`) is the embedded implementation; the
/// protocol is what a shared PostgreSQL store would implement too.
///
/// Every mutating call is one transaction, and is fenced by the caller's lease: a process
/// that no longer owns the run gets `StoreError.leaseLost` and changes nothing.
public protocol RunStore: Sendable {
    /// Creates a run owned by `owner`, with the first journal entry.
    func createRun(_ run: NewRun, owner: LeaseOwner) throws(StoreError)

    /// A run with its instances; secrets revealed only if `revealSecrets` (needs the key).
    func load(_ runID: String, revealSecrets: Bool) throws(StoreError) -> RunSnapshot?
    /// A run without its instances; secrets stay sealed.
    func run(_ runID: String) throws(StoreError) -> RunRecord?
    func runs() throws(StoreError) -> [RunRecord]
    func latestRun() throws(StoreError) -> RunRecord?
    func journal(_ runID: String) throws(StoreError) -> [JournalEntry]

    /// Takes the run for `owner`: free, or held by a dead process (then taken over).
    /// Throws `leaseHeld` naming the owner if a live process holds it.
    func acquireLease(_ runID: String, owner: LeaseOwner) throws(StoreError) -> LeaseAcquisition
    func renewLease(_ runID: String, owner: LeaseOwner) throws(StoreError)
    func releaseLease(_ runID: String, owner: LeaseOwner) throws(StoreError)

    /// Adds the instances of a step reached for the first time.
    func expand(_ runID: String, instances: [InstanceRecord], owner: LeaseOwner) throws(StoreError)
    /// Moves one instance to a new state: instance row and journal entry, one transaction.
    func record(_ transition: InstanceTransition, instance: String, runID: String, owner: LeaseOwner) throws(StoreError)
    /// Moves the run to a new state, with a journal entry; in the same transaction, purges
    /// the secrets `purge` names (their fingerprints stay).
    func setState(_ state: RunState, error: String?, purge: SecretPurge, runID: String, owner: LeaseOwner) throws(StoreError)
    /// Appends a note to the journal.
    func note(_ message: String, instance: String?, runID: String, owner: LeaseOwner) throws(StoreError)

    /// Deletes settled runs in `states` created before `before`, with everything stored for
    /// them. Runs owned by a live process are never deleted. Returns the deleted ids.
    func prune(states: Set<RunState>, before: Date) throws(StoreError) -> [String]

    /// Re-seals every stored secret under a new key and makes it the current key.
    /// Returns how many secrets were re-sealed.
    func rotateSecretKey() throws(StoreError) -> Int
}

extension RunStore {
    public func setState(_ state: RunState, error: String?, runID: String, owner: LeaseOwner) throws(StoreError) {
        try setState(state, error: error, purge: .none, runID: runID, owner: owner)
    }
}

/// Which of a run's secrets to delete (their fingerprints are kept).
public enum SecretPurge: Sendable {
    case none
    /// Everything the run delivered (params, inputs, outputs); keeps intent secrets,
    /// which a later rollback needs (an old profile's bytes).
    case delivered
    /// Everything: the run is rolled back and needs nothing more.
    case all
}

/// A run to create.
public struct NewRun: Sendable {
    public var id: String
    public var runbook: Runbook
    public var params: [String: Value]
    public var onFailure: FailurePolicy
    /// Keep delivered secrets after success (`execute --keep-secrets`).
    public var keepsSecrets: Bool

    public init(id: String, runbook: Runbook, params: [String: Value], onFailure: FailurePolicy, keepsSecrets: Bool = false) {
        self.id = id
        self.runbook = runbook
        self.params = params
        self.onFailure = onFailure
        self.keepsSecrets = keepsSecrets
    }
}

/// A run and its instances, as loaded.
public struct RunSnapshot: Sendable {
    public var run: RunRecord
    public var instances: [InstanceRecord]
}

public enum LeaseAcquisition: Sendable, Equatable {
    case acquired
    /// The previous owner was dead; the run is ours now.
    case tookOver(from: LeaseOwner)
}

/// An instance's state change, with what is recorded alongside it.
public enum InstanceTransition: Sendable {
    /// The checkpoint before apply: resolved inputs, the observed intent, and the attempt.
    case started(attempt: Int, inputs: Inputs, intent: Intent)
    /// Apply made the change (`took`: how long the plugin's apply ran), or reconcile found
    /// it in place (`note` says so).
    case applied(Outputs, note: String? = nil, took: Duration? = nil)
    case failed(String)
    case skipped(String)
    /// Reconcile found nothing applied (or repaired a partial effect): ready to apply again.
    case settledNotApplied(String)
    case rollingBack
    case rolledBack(String?)
    /// Undo failed: the instance stays `rolling-back` with the error.
    case rollbackFailed(String)

    public var state: InstanceState {
        switch self {
        case .started: return .started
        case .applied: return .applied
        case .failed: return .failed
        case .skipped: return .skipped
        case .settledNotApplied: return .pending
        case .rollingBack, .rollbackFailed: return .rollingBack
        case .rolledBack: return .rolledBack
        }
    }
}

/// Why the store could not do what was asked. Messages name the file and what to do.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case unwritable(path: String, reason: String)
    case notADatabase(path: String)
    case foreignDatabase(path: String)
    case newerSchema(path: String)
    case unknownRun(String)
    case duplicateRun(String)
    case leaseHeld(runID: String, owner: LeaseOwner, heartbeat: Date)
    case leaseLost(runID: String)
    case secret(SecretError)
    case database(path: String, message: String)

    public var description: String {
        switch self {
        case .unwritable(let path, let reason):
            return "cannot use state directory \(path): \(reason); set RUNBOOK_HOME to a writable directory"
        case .notADatabase(let path):
            return "\(path) is not a runbook state database (not SQLite, or corrupt); move it aside to start afresh"
        case .foreignDatabase(let path):
            return "\(path) is an SQLite database that runbook did not create; set RUNBOOK_HOME elsewhere"
        case .newerSchema(let path):
            return "\(path) was written by a newer version of runbook; upgrade runbook to use it"
        case .unknownRun(let id):
            return "no run '\(id)'; see `runbook runs`"
        case .duplicateRun(let id):
            return "a run with id \(id) already exists"
        case .leaseHeld(let runID, let owner, _):
            return "run \(runID) is in use by \(owner) (still running); wait for it to finish or stop that process"
        case .leaseLost(let runID):
            return "run \(runID) was taken over by another process; this process stops without writing"
        case .secret(let error):
            return error.description
        case .database(let path, let message):
            return "\(path): \(message)"
        }
    }
}
