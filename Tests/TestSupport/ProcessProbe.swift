import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Looks for processes, to prove that commands a test started are gone.
///
/// The reliable handle on "everything a command started" is an environment variable only
/// that command has (`RUNBOOK_TEST_MARKER=<uuid>`): every descendant inherits it, whatever
/// its name or parent, so `processes(withEnvironment:)` finds them all.
public enum ProcessProbe {
    /// The variable that carries a marker.
    public static let markerName = "RUNBOOK_TEST_MARKER"

    /// A fresh marker for a command's environment: `name`, `value`, and `entry` (`name=value`).
    public static func newMarker() -> (name: String, value: String, entry: String) {
        let value = UUID().uuidString
        return (markerName, value, "\(markerName)=\(value)")
    }

    /// True if `pid` is a process that has not terminated (a zombie counts as terminated).
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        // /proc/PID/stat: "pid (comm) S ..."; comm may hold spaces or parens, so read after the last ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
        #else
        return true
        #endif
    }

    /// Live processes whose environment holds `entry` (`NAME=value`). Linux only (reads
    /// `/proc/*/environ`); elsewhere it returns nothing, so callers should also track pids.
    public static func processes(withEnvironment entry: String) -> [pid_t] {
        #if os(Linux)
        let needle = Array(entry.utf8)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(name)/environ") else { return nil }
            let found = data.split(separator: 0, omittingEmptySubsequences: true).contains { Array($0) == needle }
            return found && isAlive(pid) ? pid : nil
        }.sorted()
        #else
        return []
        #endif
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
    public static func wait(upTo timeout: Duration, until condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Pids printed one per line (`echo $!`), from a command's stdout or a file.
    public static func pids(in text: String) -> [pid_t] {
        text.split(whereSeparator: \.isNewline).compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }
}
