import AWSKit
import RunbookKit

/// `aws.iam.tag-user`: sets tags on the user (the document's tagging step). The intent
/// records each key's value before the run (or that it had none), so rollback restores the
/// old values and removes only the keys the run added.
public struct TagUser: StepPlugin {
    public static let id = "aws.iam.tag-user"
    public static let summary = "Tag an IAM user; rollback restores the tags' previous values"
    public static let inputs = Schema([
        .required("user_name", .string, "The user"),
        .optional("tags", .map, default: .map([:]), "Tags as a map of key to value (at most 50; key up to 128 characters, value up to 256)"),
    ])
    public static let outputs = OutputSchema([
        .init("tags", .map, "The tags this step set"),
    ])

    let session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        var problems: [InputProblem] = []
        if let user = try? inputs.string("user_name") { problems += [IAMRules.name(user, input: "user_name", maximum: 64)].compactMap { $0 } }
        do {
            problems += IAMRules.tags(try inputs.stringMap("tags"), input: "tags")
        } catch {
            problems.append(InputProblem(input: "tags", "must be a map of tag keys to text values"))
        }
        return problems
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let user = try inputs.string("user_name")
        let tags = try inputs.stringMap("tags")
        guard !tags.isEmpty else { return Plan(.unchanged, "no tags to set on user \(user)") }
        let keys = tags.keys.sorted().joined(separator: ", ")
        let summary = "tag user \(user): \(keys)"
        let undo = "restore the previous values of tags \(keys) on user \(user)"
        do {
            guard !session.isKnownAbsent(.user(user)), let current = try await currentTags(user, context: context, waiting: false) else {
                return Plan(.create, summary, undo: undo)
            }
            if tags.allSatisfy({ current[$0.key] == $0.value }) {
                return Plan(.unchanged, "user \(user) already has tags \(keys)", note: "left as found on rollback")
            }
            let total = Set(current.keys).union(tags.keys).count
            if total > IAMRules.maximumTags {
                return .blocked(summary, because: "the user would have \(total) tags; IAM allows \(IAMRules.maximumTags)")
            }
            return Plan(tags.keys.contains(where: { current[$0] != nil }) ? .change : .create, summary, undo: undo)
        } catch {
            return AWSFailure.unchecked(summary, undo: undo, because: error, context: context)
        }
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let user = try inputs.string("user_name")
        let tags = try inputs.stringMap("tags")
        // A user this run has just created carries only the ownership tag.
        let current = session.wasJustCreated(.user(user))
            ? [:] : try await AWSFailure.wrapping { try await currentTags(user, context: context, waiting: true) } ?? [:]
        var previous: [String: Value] = [:]
        for key in tags.keys { previous[key] = current[key].map(Value.string) ?? .null }
        return ["previous": .map(previous)]
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let user = try inputs.string("user_name")
        let tags = try inputs.stringMap("tags")
        if !tags.isEmpty {
            let iam = try session.iam(context)
            try await AWSFailure.wrapping {
                try await EventualConsistency.retrying(.user(user), session: session, context: context) {
                    try await iam.tagUser(userName: user, tags: tags.sorted { $0.key < $1.key }.map { Tag(key: $0.key, value: $0.value) })
                }
            }
        }
        return ["tags": .map(tags.mapValues(Value.string))]
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let user = try inputs.string("user_name")
        let tags = try inputs.stringMap("tags")
        let current = try await AWSFailure.wrapping { try await currentTags(user, context: context, waiting: true) } ?? [:]
        guard tags.allSatisfy({ current[$0.key] == $0.value }) else { return .notApplied }
        return .applied(["tags": .map(tags.mapValues(Value.string))])
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        let user = try inputs.string("user_name")
        let written = try inputs.stringMap("tags")
        let previous = try intent.map("previous")
        let iam = try session.iam(context)
        guard let current = try await AWSFailure.wrapping({ try await currentTags(user, context: context, waiting: false) }) else {
            return  // the user is gone: nothing to restore
        }
        var restore: [Tag] = []
        var remove: [String] = []
        for (key, value) in written.sorted(by: { $0.key < $1.key }) {
            // Someone changed this tag since the run set it: theirs now, leave it.
            guard current[key] == value else { continue }
            if let old = previous[key]?.stringValue {
                if old != value { restore.append(Tag(key: key, value: old)) }
            } else {
                remove.append(key)
            }
        }
        try await AWSFailure.wrapping {
            if !restore.isEmpty { try await iam.tagUser(userName: user, tags: restore) }
            if !remove.isEmpty { try await iam.untagUser(userName: user, tagKeys: remove) }
        }
    }

    /// The user's tags, or nil if the user does not exist (yet).
    private func currentTags(_ user: String, context: StepContext, waiting: Bool) async throws -> [String: String]? {
        let iam = try session.iam(context)
        do {
            let list = { try await iam.listUserTags(userName: user) }
            let tags = waiting ? try await EventualConsistency.retrying(.user(user), session: session, context: context, list) : try await list()
            return Dictionary(tags.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        }
    }
}
