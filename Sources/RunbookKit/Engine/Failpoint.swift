import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash injection for recovery tests: `RUNBOOK_FAILPOINT=INSTANCE:POINT` makes the process
/// SIGKILL itself at that point, exactly as a power cut or `kill -9` would stop it.
public struct Failpoint: Sendable, Hashable {
    public enum Point: String, Sendable, CaseIterable {
        /// `started` is committed; apply has not been called.
        case beforeApply = "before-apply"
        /// Apply returned; `applied` is not committed: the effect exists, the record does not.
        case afterApply = "after-apply"
        /// `applied` (with outputs, secrets sealed) is committed; the next step has not begun.
        case afterCheckpoint = "after-checkpoint"
        /// `rolling-back` is committed; undo has not been called.
        case beforeRollback = "before-rollback"
        /// Undo returned; `rolled-back` is not committed.
        case afterRollback = "after-rollback"
    }

    public var instance: String
    public var point: Point

    public init(instance: String, point: Point) {
        self.instance = instance
        self.point = point
    }

    /// Parses `INSTANCE:POINT`; instance names may contain ':' so the last one separates.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"),
              let point = Point(rawValue: String(text[text.index(after: colon)...])) else { return nil }
        self.instance = String(text[..<colon])
        self.point = point
    }

    public static func fromEnvironment(_ environment: [String: String]) -> Failpoint? {
        environment["RUNBOOK_FAILPOINT"].flatMap(Failpoint.init)
    }

    /// Dies here if this is the armed failpoint.
    func trigger(instance: String, point: Point) {
        guard instance == self.instance, point == self.point else { return }
        FileHandle.standardError.write(Data("runbook: failpoint \(instance):\(point.rawValue): killing this process\n".utf8))
        kill(getpid(), SIGKILL)
        // SIGKILL cannot be caught; this line is never reached.
        pause()
    }
}

extension Optional where Wrapped == Failpoint {
    func trigger(instance: String, point: Failpoint.Point) {
        self?.trigger(instance: instance, point: point)
    }
}
