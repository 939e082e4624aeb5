import Foundation

/// A parsed runbook: the operations document as steps the engine can execute.
public struct Runbook: Sendable {
    public var name: String
    public var description: String
    public var onFailure: FailurePolicy?
    public var params: [ParamSpec]
    public var steps: [StepSpec]
    /// The file it came from and its exact text: a run stores this text and resumes from it.
    public var source: RunbookSource

    public func step(_ id: String) -> StepSpec? { steps.first { $0.id == id } }
    public func param(_ name: String) -> ParamSpec? { params.first { $0.name == name } }
}

/// Where a runbook's text came from.
public struct RunbookSource: Sendable, Hashable {
    /// The name used in messages (`runbooks/ha-iam.yaml`).
    public var displayPath: String
    /// Absolute path, to compare the file on disk with a run's stored copy; nil if not a file.
    public var path: String?
    public var text: String

    public init(displayPath: String, path: String?, text: String) {
        self.displayPath = displayPath
        self.path = path
        self.text = text
    }

    /// SHA-256 of the text, hex: tells whether the file changed since a run started.
    public var digest: String { SHA256Digest.hex(of: Data(text.utf8)) }
}

/// What a run does when a step fails.
public enum FailurePolicy: String, Sendable, CaseIterable {
    /// Stop as `failed`; the operator resumes or rolls back.
    case pause
    /// Undo everything the run did, at once.
    case rollback
}

/// A declared runbook param.
public struct ParamSpec: Sendable {
    public var name: String
    public var type: ParamType
    /// The default; strings may refer to other params (`"${params.user_name}"`).
    public var defaultValue: Value?
    public var isRequired: Bool
    public var pattern: String?
    public var description: String?
    /// Allowed values when `type` is `enum`.
    public var allowedValues: [String]
    public var isSecret: Bool
    public var location: SourceLocation
}

public enum ParamType: String, Sendable, CaseIterable {
    case string, int, bool, list, map
    case `enum`
}

/// A declared step: one plugin call, or one per item with `foreach`.
public struct StepSpec: Sendable {
    public var id: String
    public var uses: String
    public var description: String?
    /// Plugin inputs, unresolved: strings may hold `${...}` references at any depth.
    public var with: [String: Value]
    public var foreach: Value?
    public var when: Condition?
    public var retry: RetrySpec
    public var timeout: Duration?
    public var locations: StepLocations
}

/// Where each part of a step is written, for messages.
public struct StepLocations: Sendable {
    public var step: SourceLocation
    public var id: SourceLocation
    public var uses: SourceLocation
    public var with: SourceLocation?
    /// Where each input's value starts.
    public var inputs: [String: SourceLocation]
    /// Where each input's key is written.
    public var inputKeys: [String: SourceLocation]
    public var foreach: SourceLocation?
    public var when: SourceLocation?

    public func input(_ name: String) -> SourceLocation {
        inputs[name] ?? with ?? step
    }
}

/// How often a failing apply is tried again before the step fails.
public struct RetrySpec: Sendable, Hashable {
    public var maxAttempts: Int
    /// Delay before the second attempt; doubles for each further one.
    public var backoff: Duration

    public init(maxAttempts: Int = 1, backoff: Duration = .seconds(1)) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }

    public static let none = RetrySpec()
}
