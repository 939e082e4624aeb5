import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process that can own a run: pid, host, and the process's start time, so a pid the
/// kernel has reused after a crash is not mistaken for the dead owner.
public struct LeaseOwner: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    /// Start time of the process in clock ticks since boot (Linux `/proc/PID/stat`), if known.
    public var startTicks: UInt64?
    /// A random token that fences writes: a process that lost its lease cannot write.
    public var token: String

    public init(pid: Int32, host: String, startTicks: UInt64?, token: String) {
        self.pid = pid
        self.host = host
        self.startTicks = startTicks
        self.token = token
    }

    /// This process.
    public static func current() -> LeaseOwner {
        let pid = getpid()
        return LeaseOwner(pid: pid, host: hostName(), startTicks: startTicks(of: pid),
                          token: UUID().uuidString.lowercased())
    }

    public var description: String { "pid \(pid) on \(host)" }

    /// How long a foreign-host owner may go without a heartbeat before it counts as dead.
    public static let heartbeatTimeout: TimeInterval = 30

    public func isAlive(lastHeartbeat: Date, now: Date = Date()) -> Bool {
        guard host == Self.hostName() else {
            return now.timeIntervalSince(lastHeartbeat) < Self.heartbeatTimeout
        }
        if kill(pid, 0) != 0, errno == ESRCH { return false }
        if let startTicks, let actual = Self.startTicks(of: pid), actual != startTicks { return false }
        // A zombie (killed, not yet reaped by its parent) is dead for our purposes.
        if Self.isZombie(pid) { return false }
        return true
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Field 22 of `/proc/PID/stat`, after the parenthesised command name.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    static func isZombie(_ pid: Int32) -> Bool {
        statFields(of: pid)?.first == "Z"
    }

    /// Fields of `/proc/PID/stat` from the state field on.
    private static func statFields(of pid: Int32) -> [Substring]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let text = String(data: data, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }
}
