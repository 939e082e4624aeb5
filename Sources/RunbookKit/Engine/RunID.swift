import Foundation

/// Run ids: `20261129-185134-3f9a0c`, sortable by creation time; 24 random bits keep runs
/// started in the same second apart (and `createRun` refuses a duplicate, so the engine
/// draws again).
enum RunID {
    static func make(now: Date = Date()) -> String {
        UTCTimestamp.compact(now) + "-" + Hex.string((0..<3).map { _ in UInt8.random(in: 0...255) })
    }
}
