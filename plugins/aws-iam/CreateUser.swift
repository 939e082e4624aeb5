import AWSKit
import RunbookKit

/// `aws.iam.create-user`: creates the IAM user, tagged `runbook:run` = the run id in the
/// `CreateUser` call itself, so the user is never, even for an instant, without its
/// ownership marker. A user that exists and is not this run's stops the run at plan time,
/// unless `adopt: true`: an adopted user is used as found and left as found on rollback.
public struct CreateUser: StepPlugin {
    public static let id = "aws.iam.create-user"
    public static let summary = "Create an IAM user marked as this run's (or adopt an existing one)"
    public static let inputs = Schema([
        .required("user_name", .string, "The user name: 1-64 of A-Z a-z 0-9 + = , . @ _ -"),
        .optional("adopt", .bool, default: false, "Use a user that exists and was not created by runbook; rollback leaves it"),
    ])
    public static let outputs = OutputSchema([
        .init("user_name", .string, "The user name"),
        .init("arn", .string, "The user's ARN"),
        .init("user_id", .string, "The user's unique id"),
        .init("created", .bool, "Whether this run created the user (false when adopted)"),
    ])

    let session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        guard let name = try? inputs.string("user_name") else { return [] }
        return [IAMRules.name(name, input: "user_name", maximum: 64)].compactMap { $0 }
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let name = try inputs.string("user_name")
        let adopt = try inputs.bool("adopt", default: false)
        let summary = "create IAM user \(name) (tagged \(IAMRules.ownershipTag))"
        let undo = "delete IAM user \(name)"
        do {
            guard let user = try await existingUser(name, context: context) else {
                session.noteAbsent(.user(name))
                return Plan(.create, summary, undo: undo)
            }
            if adopt {
                return Plan(.unchanged, "adopt existing IAM user \(name)", note: "left as found on rollback")
            }
            return .blocked("IAM user \(name) already exists", because: Self.notOursReason(user))
        } catch {
            return AWSFailure.unchecked(summary, undo: undo, because: error, context: context)
        }
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let name = try inputs.string("user_name")
        let user = try await AWSFailure.wrapping { try await existingUser(name, context: context) }
        guard let user else { return ["existed": false] }
        guard try inputs.bool("adopt", default: false) else {
            throw PluginError("IAM user \(name) already exists: \(Self.notOursReason(user))")
        }
        return ["existed": true, "arn": .string(user.arn)]
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let name = try inputs.string("user_name")
        let iam = try session.iam(context)
        if try intent.bool("existed") {
            return outputs(try await AWSFailure.wrapping { try await iam.getUser(userName: name) }, created: false)
        }
        return outputs(try await creation(name, iam: iam, context: context).apply(), created: true)
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let name = try inputs.string("user_name")
        let iam = try session.iam(context)
        if try intent.bool("existed") {
            return .applied(outputs(try await AWSFailure.wrapping { try await iam.getUser(userName: name) }, created: false))
        }
        guard let user = try await creation(name, iam: iam, context: context).settle() else { return .notApplied }
        return .applied(outputs(user, created: true))
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        // Never undo what the run did not do: an adopted user stays.
        guard try !intent.bool("existed") else { return }
        let name = try inputs.string("user_name")
        let iam = try session.iam(context)
        guard try await creation(name, iam: iam, context: context).ownedForDeletion() != nil else { return }
        do {
            try await iam.deleteUser(userName: name)
        } catch let error as AWSError where error.isNoSuchEntity {
            return
        } catch let error as AWSError where error.isDeleteConflict {
            throw PluginError("cannot delete IAM user \(name): \(try await blockers(name, iam: iam)); they were not created by this run, so runbook leaves them (and the user); remove them and run rollback again")
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    // MARK: -

    /// Creating the user tagged `runbook:run` = the run id, in the `CreateUser` call itself.
    private func creation(_ name: String, iam: IAMClient, context: StepContext) -> OwnedCreation<IAMUser> {
        let runID = context.runID
        return OwnedCreation(
            entity: .user(name), session: session, context: context,
            fetch: { try await iam.getUser(userName: name) },
            create: { try await iam.createUser(userName: name, tags: [Tag(key: IAMRules.ownershipTag, value: runID)]) },
            isOurs: { user in Self.ownerRun(of: user) == runID },
            notOursReason: { user in Self.notOursReason(user) })
    }

    private func existingUser(_ name: String, context: StepContext) async throws -> IAMUser? {
        do {
            return try await session.iam(context).getUser(userName: name)
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        }
    }

    private static func ownerRun(of user: IAMUser) -> String? {
        user.tags.first { $0.key == IAMRules.ownershipTag }?.value
    }

    private static func notOursReason(_ user: IAMUser) -> String {
        if let owner = ownerRun(of: user) {
            return "it was created by another runbook run (\(owner)); pass --param adopt=true to use it as found"
        }
        return "it was not created by runbook; pass --param adopt=true to use it as found (rollback leaves it)"
    }

    private func outputs(_ user: IAMUser, created: Bool) -> Outputs {
        ["user_name": .string(user.userName), "arn": .string(user.arn), "user_id": .string(user.userID), "created": .bool(created)]
    }

    /// What still hangs on a user that blocks its deletion.
    private func blockers(_ name: String, iam: IAMClient) async throws -> String {
        var found: [String] = []
        if let keys = try? await iam.listAccessKeys(userName: name), !keys.isEmpty {
            found.append("access keys \(keys.map(\.accessKeyID).joined(separator: ", "))")
        }
        if let policies = try? await iam.listAttachedUserPolicies(userName: name), !policies.isEmpty {
            found.append("attached policies \(policies.map(\.policyARN).joined(separator: ", "))")
        }
        if let groups = try? await iam.listGroupsForUser(userName: name), !groups.isEmpty {
            found.append("membership of groups \(groups.map(\.groupName).joined(separator: ", "))")
        }
        return found.isEmpty ? "IAM reports DeleteConflict (something else still refers to it: a login profile, MFA device, inline policy or certificate)" : "it still has " + found.joined(separator: "; ")
    }
}
