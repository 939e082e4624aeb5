import Foundation

/// Why an instance is being settled.
public enum Settling: Sendable, Hashable {
    /// The process died (or was abandoned) between `started` and the next checkpoint:
    /// apply may have done anything, including all of its work.
    case inDoubt
    /// Apply returned an error (the message). Usually nothing happened; a timeout or a lost
    /// answer may still have left an effect, so it is settled all the same.
    case afterFailure(String)
}

/// What the engine tells a plugin about the call it is making.
public struct StepContext: Sendable {
    public var runID: String
    /// The instance name, `attach-policy[AdministratorAccess]`.
    public var instance: String
    /// 1 for the first apply of this instance, then 2, 3... across retries and resumes.
    public var attempt: Int
    /// The process environment the step sees (credentials, `AWS_*`, `HOME`).
    public var environment: [String: String]
    /// The directory relative paths are resolved against.
    public var workingDirectory: String
    /// Dry-run and pre-flight: plan must not change anything.
    public var isDryRun: Bool
    /// Pre-flight of a real run (not `--dry-run`): a plan that cannot check live state
    /// (no credentials) should block rather than say "not checked".
    public var isPreflight: Bool
    /// Why `reconcile` is being asked, when it is.
    public var settling: Settling?
    /// A note for the run's journal (`retrying after NoSuchEntity`). Secrets are redacted by the engine.
    public var note: @Sendable (String) -> Void

    public init(runID: String, instance: String, attempt: Int, environment: [String: String],
                workingDirectory: String, isDryRun: Bool = false, isPreflight: Bool = false,
                note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.runID = runID
        self.instance = instance
        self.attempt = attempt
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.isDryRun = isDryRun
        self.isPreflight = isPreflight
        self.note = note
    }

    /// `run-id/instance/attempt`: unique per apply attempt, stable across a crash.
    public var idempotencyToken: String { "\(runID)/\(instance)/\(attempt)" }

    /// Resolves `path` against the working directory and expands a leading `~`.
    public func absolutePath(_ path: String) -> String {
        var expanded = path
        if expanded == "~" || expanded.hasPrefix("~/") {
            let home = environment["HOME"] ?? NSHomeDirectory()
            expanded = home + expanded.dropFirst()
        }
        if expanded.hasPrefix("/") { return expanded }
        return (workingDirectory as NSString).appendingPathComponent(expanded)
    }
}
