import AWSKit
import RunbookKit

/// `aws.iam.add-user-to-group`: makes the user a member of the group; a membership that
/// existed before the run is left on rollback.
public struct AddUserToGroup: StepPlugin {
    public static let id = "aws.iam.add-user-to-group"
    public static let summary = "Add an IAM user to a group (left a member on rollback if it was before)"
    public static let inputs = Schema([
        .required("user_name", .string, "The user"),
        .required("group_name", .string, "The group"),
    ])
    public static let outputs = OutputSchema([
        .init("member_before", .bool, "Whether the user was already a member before the run"),
    ])

    let session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        var problems: [InputProblem] = []
        if let user = try? inputs.string("user_name") { problems += [IAMRules.name(user, input: "user_name", maximum: 64)].compactMap { $0 } }
        if let group = try? inputs.string("group_name") { problems += [IAMRules.name(group, input: "group_name", maximum: 128)].compactMap { $0 } }
        return problems
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let user = try inputs.string("user_name"), group = try inputs.string("group_name")
        let summary = "add user \(user) to group \(group)"
        let undo = "remove user \(user) from group \(group)"
        do {
            if !session.isKnownAbsent(.user(user)), !session.isKnownAbsent(.group(group)),
               try await groups(of: user, context: context, waiting: false)?.contains(group) == true {
                return Plan(.unchanged, "user \(user) already in group \(group)", note: "left a member on rollback")
            }
            return Plan(.create, summary, undo: undo)
        } catch {
            return AWSFailure.unchecked(summary, undo: undo, because: error, context: context)
        }
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let user = try inputs.string("user_name"), group = try inputs.string("group_name")
        if session.wasJustCreated(.user(user)) || session.wasJustCreated(.group(group)) { return ["member_before": false] }
        let member = try await AWSFailure.wrapping { try await groups(of: user, context: context, waiting: true)?.contains(group) ?? false }
        return ["member_before": .bool(member)]
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let user = try inputs.string("user_name"), group = try inputs.string("group_name")
        let before = try intent.bool("member_before")
        if !before {
            let iam = try session.iam(context)
            try await AWSFailure.wrapping {
                try await EventualConsistency.retrying(.user(user), session: session, context: context) {
                    try await EventualConsistency.retrying(.group(group), session: session, context: context) {
                        try await iam.addUserToGroup(userName: user, groupName: group)
                    }
                }
            }
        }
        return ["member_before": .bool(before)]
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let user = try inputs.string("user_name"), group = try inputs.string("group_name")
        let member = try await AWSFailure.wrapping { try await groups(of: user, context: context, waiting: true)?.contains(group) ?? false }
        return member ? .applied(["member_before": .bool(try intent.bool("member_before"))]) : .notApplied
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        guard try !intent.bool("member_before") else { return }
        let user = try inputs.string("user_name"), group = try inputs.string("group_name")
        do {
            try await session.iam(context).removeUserFromGroup(userName: user, groupName: group)
        } catch let error as AWSError where error.isNoSuchEntity {
            // Not a member any more, or one of them is gone.
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    private func groups(of user: String, context: StepContext, waiting: Bool) async throws -> Set<String>? {
        let iam = try session.iam(context)
        do {
            let list = { try await iam.listGroupsForUser(userName: user) }
            let groups = waiting ? try await EventualConsistency.retrying(.user(user), session: session, context: context, list) : try await list()
            return Set(groups.map(\.groupName))
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        }
    }
}
