import AWSKit
import RunbookKit

/// `aws.iam.create-group`: creates an IAM group. Groups cannot carry tags, so the group's
/// path is the ownership marker: `/runbook/RUN-ID/`, set in the `CreateGroup` call itself.
/// A group that exists and is not this run's stops the run at plan time unless `adopt`.
public struct CreateGroup: StepPlugin {
    public static let id = "aws.iam.create-group"
    public static let summary = "Create an IAM group marked as this run's (or adopt an existing one)"
    public static let inputs = Schema([
        .required("group_name", .string, "The group name: 1-128 of A-Z a-z 0-9 + = , . @ _ -"),
        .optional("adopt", .bool, default: false, "Use a group that exists and was not created by runbook; rollback leaves it"),
    ])
    public static let outputs = OutputSchema([
        .init("group_name", .string, "The group name"),
        .init("arn", .string, "The group's ARN"),
        .init("created", .bool, "Whether this run created the group"),
    ])

    let session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    static func ownershipPath(_ runID: String) -> String { "/runbook/\(runID)/" }

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        guard let name = try? inputs.string("group_name") else { return [] }
        return [IAMRules.name(name, input: "group_name", maximum: 128)].compactMap { $0 }
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let name = try inputs.string("group_name")
        let summary = "create IAM group \(name) (path /runbook/RUN-ID/)"
        let undo = "delete IAM group \(name)"
        do {
            guard let group = try await existingGroup(name, context: context) else {
                session.noteAbsent(.group(name))
                return Plan(.create, summary, undo: undo)
            }
            if try inputs.bool("adopt", default: false) {
                return Plan(.unchanged, "adopt existing IAM group \(name)", note: "left as found on rollback")
            }
            return .blocked("IAM group \(name) already exists", because: Self.notOursReason(group))
        } catch {
            return AWSFailure.unchecked(summary, undo: undo, because: error, context: context)
        }
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let name = try inputs.string("group_name")
        guard let group = try await AWSFailure.wrapping({ try await existingGroup(name, context: context) }) else {
            return ["existed": false]
        }
        guard try inputs.bool("adopt", default: false) else {
            throw PluginError("IAM group \(name) already exists: \(Self.notOursReason(group))")
        }
        return ["existed": true]
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let name = try inputs.string("group_name")
        let iam = try session.iam(context)
        if try intent.bool("existed") {
            return outputs(try await AWSFailure.wrapping { try await iam.getGroup(groupName: name).group }, created: false)
        }
        return outputs(try await creation(name, iam: iam, context: context).apply().group, created: true)
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let name = try inputs.string("group_name")
        let iam = try session.iam(context)
        if try intent.bool("existed") {
            return .applied(outputs(try await AWSFailure.wrapping { try await iam.getGroup(groupName: name).group }, created: false))
        }
        guard let members = try await creation(name, iam: iam, context: context).settle() else { return .notApplied }
        return .applied(outputs(members.group, created: true))
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        guard try !intent.bool("existed") else { return }
        let name = try inputs.string("group_name")
        let iam = try session.iam(context)
        guard let members = try await creation(name, iam: iam, context: context).ownedForDeletion() else { return }
        do {
            try await iam.deleteGroup(groupName: name)
        } catch let error as AWSError where error.isNoSuchEntity {
            return
        } catch let error as AWSError where error.isDeleteConflict {
            var found: [String] = []
            if !members.users.isEmpty { found.append("members \(members.users.map(\.userName).joined(separator: ", "))") }
            if let policies = try? await iam.listAttachedGroupPolicies(groupName: name), !policies.isEmpty {
                found.append("attached policies \(policies.map(\.policyARN).joined(separator: ", "))")
            }
            let detail = found.isEmpty ? "IAM reports DeleteConflict" : "it still has " + found.joined(separator: "; ")
            throw PluginError("cannot delete IAM group \(name): \(detail); not created by this run, so runbook leaves them; remove them and run rollback again")
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    /// Creating the group with the path `/runbook/RUN-ID/`, in the `CreateGroup` call itself.
    private func creation(_ name: String, iam: IAMClient, context: StepContext) -> OwnedCreation<IAMGroupMembers> {
        let path = Self.ownershipPath(context.runID)
        return OwnedCreation(
            entity: .group(name), session: session, context: context,
            fetch: { try await iam.getGroup(groupName: name) },
            create: { IAMGroupMembers(group: try await iam.createGroup(groupName: name, path: path), users: []) },
            isOurs: { members in members.group.path == path },
            notOursReason: { members in Self.notOursReason(members.group) })
    }

    private func existingGroup(_ name: String, context: StepContext) async throws -> IAMGroup? {
        do {
            return try await session.iam(context).getGroup(groupName: name).group
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        }
    }

    private static func notOursReason(_ group: IAMGroup) -> String {
        if group.path.hasPrefix("/runbook/") {
            return "it was created by another runbook run (path \(group.path)); pass --param adopt=true to use it as found"
        }
        return "it was not created by runbook; pass --param adopt=true to use it as found (rollback leaves it)"
    }

    private func outputs(_ group: IAMGroup, created: Bool) -> Outputs {
        ["group_name": .string(group.groupName), "arn": .string(group.arn), "created": .bool(created)]
    }
}
