/// What a step would do, for the dry-run and the pre-flight check before a run.
public struct Plan: Sendable, Hashable {
    public enum Mark: String, Sendable, Hashable {
        /// `+`: will make a change.
        case create
        /// `~`: will change something that exists.
        case change
        /// `=`: already so; apply will do nothing new.
        case unchanged
        /// `!`: cannot proceed; the run would stop here. `reason` says why.
        case blocked
        /// `?`: live state was not checked (no credentials, or inputs known only at run time).
        case unchecked

        public var symbol: String {
            switch self {
            case .create: return "+"
            case .change: return "~"
            case .unchanged: return "="
            case .blocked: return "!"
            case .unchecked: return "?"
            }
        }
    }

    public var mark: Mark
    /// `create IAM user automate-ha`
    public var summary: String
    /// Why it is blocked, or a note on what was (not) checked.
    public var note: String?
    /// The rollback of this step, if it will have something to undo.
    public var undo: String?

    public init(_ mark: Mark, _ summary: String, note: String? = nil, undo: String? = nil) {
        self.mark = mark
        self.summary = summary
        self.note = note
        self.undo = undo
    }

    public static func blocked(_ summary: String, because reason: String) -> Plan {
        Plan(.blocked, summary, note: reason)
    }
}
