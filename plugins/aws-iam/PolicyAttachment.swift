import AWSKit
import RunbookKit

/// Attaching a managed policy to a user or a group: the same protocol for both, with the
/// target's calls. The intent records whether the policy was attached before; if it was,
/// the run leaves it attached on rollback.
struct PolicyAttachment: Sendable {
    enum Target: Sendable {
        case user
        case group

        var nameInput: String { self == .user ? "user_name" : "group_name" }
        var noun: String { self == .user ? "user" : "group" }
        func entity(_ name: String) -> IAMEntity { self == .user ? .user(name) : .group(name) }
    }

    let target: Target
    let session: AWSSession

    static func inputs(_ target: Target) -> Schema {
        Schema([
            .required(target.nameInput, .string, "The \(target.noun) to attach the policy to"),
            .required("policy_arn", .string, "The managed policy's ARN, e.g. arn:aws:iam::aws:policy/IAMFullAccess"),
        ])
    }

    static func outputs(_ target: Target) -> OutputSchema {
        OutputSchema([
            .init("policy_arn", .string, "The policy attached"),
            .init("attached_before", .bool, "Whether it was already attached before the run (then rollback leaves it)"),
        ])
    }

    func validate(_ inputs: Inputs) -> [InputProblem] {
        var problems: [InputProblem] = []
        if let name = try? inputs.string(target.nameInput) {
            problems += [IAMRules.name(name, input: target.nameInput, maximum: target == .user ? 64 : 128)].compactMap { $0 }
        }
        if let arn = try? inputs.string("policy_arn") {
            problems += [IAMRules.policyARN(arn, input: "policy_arn")].compactMap { $0 }
        }
        return problems
    }

    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let name = try inputs.string(target.nameInput), arn = try inputs.string("policy_arn")
        let summary = "attach \(arn) to \(target.noun) \(name)"
        let undo = "detach \(arn) from \(target.noun) \(name)"
        do {
            let iam = try session.iam(context)
            do {
                _ = try await iam.getPolicy(policyARN: arn)
            } catch let error as AWSError where error.isNoSuchEntity {
                return .blocked(summary, because: "policy \(arn) does not exist")
            }
            guard !session.isKnownAbsent(target.entity(name)),
                  let attached = try await attachedPolicies(name, context: context, waiting: false) else {
                return Plan(.create, summary, undo: undo)
            }
            if attached.contains(arn) {
                return Plan(.unchanged, "\(arn) already attached to \(target.noun) \(name)", note: "left attached on rollback")
            }
            return Plan(.create, summary, undo: undo)
        } catch {
            return AWSFailure.unchecked(summary, undo: undo, because: error, context: context)
        }
    }

    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let name = try inputs.string(target.nameInput), arn = try inputs.string("policy_arn")
        if session.wasJustCreated(target.entity(name)) { return ["attached_before": false] }
        let attached = try await AWSFailure.wrapping { try await attachedPolicies(name, context: context, waiting: true) } ?? []
        return ["attached_before": .bool(attached.contains(arn))]
    }

    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let name = try inputs.string(target.nameInput), arn = try inputs.string("policy_arn")
        let before = try intent.bool("attached_before")
        if !before {
            let iam = try session.iam(context)
            try await AWSFailure.wrapping {
                try await EventualConsistency.retrying(target.entity(name), session: session, context: context) {
                    switch target {
                    case .user: try await iam.attachUserPolicy(userName: name, policyARN: arn)
                    case .group: try await iam.attachGroupPolicy(groupName: name, policyARN: arn)
                    }
                }
            }
        }
        return ["policy_arn": .string(arn), "attached_before": .bool(before)]
    }

    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let name = try inputs.string(target.nameInput), arn = try inputs.string("policy_arn")
        let before = try intent.bool("attached_before")
        let attached = try await AWSFailure.wrapping { try await attachedPolicies(name, context: context, waiting: true) } ?? []
        guard attached.contains(arn) else { return .notApplied }
        return .applied(["policy_arn": .string(arn), "attached_before": .bool(before)])
    }

    func rollback(_ inputs: Inputs, intent: Intent, context: StepContext) async throws {
        guard try !intent.bool("attached_before") else { return }
        let name = try inputs.string(target.nameInput), arn = try inputs.string("policy_arn")
        let iam = try session.iam(context)
        do {
            switch target {
            case .user: try await iam.detachUserPolicy(userName: name, policyARN: arn)
            case .group: try await iam.detachGroupPolicy(groupName: name, policyARN: arn)
            }
        } catch let error as AWSError where error.isNoSuchEntity {
            // Already detached, or the target is gone: nothing left to undo.
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    /// The ARNs attached to the target; nil if the target does not exist (yet).
    private func attachedPolicies(_ name: String, context: StepContext, waiting: Bool) async throws -> Set<String>? {
        let iam = try session.iam(context)
        do {
            let list: () async throws -> [AttachedPolicy] = {
                switch target {
                case .user: return try await iam.listAttachedUserPolicies(userName: name)
                case .group: return try await iam.listAttachedGroupPolicies(groupName: name)
                }
            }
            let policies = waiting
                ? try await EventualConsistency.retrying(target.entity(name), session: session, context: context, list)
                : try await list()
            return Set(policies.map(\.policyARN))
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        }
    }
}

/// A plugin that is a `PolicyAttachment`: the protocol's calls go to it.
protocol PolicyAttaching: StepPlugin {
    var attachment: PolicyAttachment { get }
}

extension PolicyAttaching {
    public func validate(_ inputs: Inputs) -> [InputProblem] { attachment.validate(inputs) }
    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan { try await attachment.plan(inputs, context: context) }
    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { try await attachment.observe(inputs, context: context) }
    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        try await attachment.apply(inputs, intent: intent, context: context)
    }
    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        try await attachment.reconcile(inputs, intent: intent, context: context)
    }
    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        try await attachment.rollback(inputs, intent: intent, context: context)
    }
}

/// `aws.iam.attach-user-policy`: attaches a managed policy to a user.
public struct AttachUserPolicy: PolicyAttaching {
    public static let id = "aws.iam.attach-user-policy"
    public static let summary = "Attach a managed policy to an IAM user (left attached on rollback if it was before)"
    public static let inputs = PolicyAttachment.inputs(.user)
    public static let outputs = PolicyAttachment.outputs(.user)

    let attachment: PolicyAttachment

    public init(session: AWSSession) {
        attachment = PolicyAttachment(target: .user, session: session)
    }
}

/// `aws.iam.attach-group-policy`: attaches a managed policy to a group.
public struct AttachGroupPolicy: PolicyAttaching {
    public static let id = "aws.iam.attach-group-policy"
    public static let summary = "Attach a managed policy to an IAM group (left attached on rollback if it was before)"
    public static let inputs = PolicyAttachment.inputs(.group)
    public static let outputs = PolicyAttachment.outputs(.group)

    let attachment: PolicyAttachment

    public init(session: AWSSession) {
        attachment = PolicyAttachment(target: .group, session: session)
    }
}
