import AWSKit
import RunbookKit

/// `aws.iam.create-access-key`: creates the user's access key. Never more than one key per
/// run, and never an orphan: the intent records the ids of the keys the user had before,
/// so a key that is not among them and not recorded as this step's output was created by
/// an attempt whose answer (and secret) was lost — it is deleted, then a key is created
/// again. A user already at IAM's limit of two keys is reported at plan time.
public struct CreateAccessKey: StepPlugin {
    public static let id = "aws.iam.create-access-key"
    public static let summary = "Create an access key for an IAM user (its secret is kept encrypted, then purged once delivered)"
    public static let inputs = Schema([
        .required("user_name", .string, "The user"),
    ])
    public static let outputs = OutputSchema([
        .init("access_key_id", .string, "The new key's id"),
        .init("secret_access_key", .string, secret: true, "The new key's secret"),
    ])

    /// IAM allows two access keys per user.
    static let keyLimit = 2

    let session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        guard let user = try? inputs.string("user_name") else { return [] }
        return [IAMRules.name(user, input: "user_name", maximum: 64)].compactMap { $0 }
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let user = try inputs.string("user_name")
        let summary = "create an access key for user \(user)"
        let undo = "delete that access key"
        do {
            guard !session.isKnownAbsent(.user(user)), let keys = try await keyIDs(user, context: context, waiting: false) else {
                return Plan(.create, summary, undo: undo)
            }
            if keys.count >= Self.keyLimit {
                return .blocked(summary, because: "user \(user) already has \(keys.count) access keys (\(keys.sorted().joined(separator: ", "))), IAM's limit; delete one first")
            }
            return Plan(.create, summary, note: keys.isEmpty ? nil : "the user has \(keys.count) other key(s), left as they are", undo: undo)
        } catch {
            return AWSFailure.unchecked(summary, undo: undo, because: error, context: context)
        }
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let user = try inputs.string("user_name")
        // A user this run has just created has no keys yet.
        if session.wasJustCreated(.user(user)) { return ["existing_key_ids": .list([])] }
        let keys = try await AWSFailure.wrapping { try await keyIDs(user, context: context, waiting: true) } ?? []
        if keys.count >= Self.keyLimit {
            throw PluginError("user \(user) already has \(keys.count) access keys, IAM's limit; delete one and resume")
        }
        return ["existing_key_ids": .list(keys.sorted().map(Value.string))]
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let user = try inputs.string("user_name")
        let existing = Set(try intent.stringList("existing_key_ids"))
        let iam = try session.iam(context)
        // A retry after a failed attempt (a timeout after IAM created the key, say) first
        // removes what that attempt may have left: its secret was never returned to us.
        try await deleteOrphans(user, existing: existing, context: context)
        let key = try await AWSFailure.wrapping {
            try await EventualConsistency.retrying(.user(user), session: session, context: context) {
                try await iam.createAccessKey(userName: user)
            }
        }
        return ["access_key_id": .string(key.accessKeyID), "secret_access_key": .secret(Secret(key.secretAccessKey))]
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let user = try inputs.string("user_name")
        let existing = Set(try intent.stringList("existing_key_ids"))
        // A key created by the interrupted attempt is useless: its secret was lost with the
        // process. Delete it and create again (the engine applies once more).
        let deleted = try await deleteOrphans(user, existing: existing, context: context)
        return deleted.isEmpty ? .notApplied : .repaired("deleted access key \(deleted.joined(separator: ", ")), whose secret was lost in the interruption")
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        let user = try inputs.string("user_name")
        // By id: the secret is not needed (and is purged once the run has delivered it).
        let keyID = try outputs.string("access_key_id")
        do {
            try await session.iam(context).deleteAccessKey(userName: user, accessKeyID: keyID)
        } catch let error as AWSError where error.isNoSuchEntity {
            // Already deleted, or the user is gone.
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    /// Deletes the user's keys that are not in `existing`; returns their ids.
    @discardableResult
    private func deleteOrphans(_ user: String, existing: Set<String>, context: StepContext) async throws -> [String] {
        let iam = try session.iam(context)
        let current = try await AWSFailure.wrapping { try await keyIDs(user, context: context, waiting: true) } ?? []
        let orphans = current.subtracting(existing).sorted()
        for id in orphans {
            context.note("deleting access key \(id): created by an interrupted attempt, its secret is lost")
            try await AWSFailure.wrapping {
                do {
                    try await iam.deleteAccessKey(userName: user, accessKeyID: id)
                } catch let error as AWSError where error.isNoSuchEntity {
                    return
                }
            }
        }
        return orphans
    }

    private func keyIDs(_ user: String, context: StepContext, waiting: Bool) async throws -> Set<String>? {
        let iam = try session.iam(context)
        do {
            let list = { try await iam.listAccessKeys(userName: user) }
            let keys = waiting ? try await EventualConsistency.retrying(.user(user), session: session, context: context, list) : try await list()
            return Set(keys.map(\.accessKeyID))
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        }
    }
}
