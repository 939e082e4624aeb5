import Foundation

/// Run ids: `20261129-185134-3f9a`, sortable by creation time, unique enough for one store.
enum RunID {
    static func make(now: Date = Date()) -> String {
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return UTCTimestamp.compact(now) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
