import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// UTC timestamps formatted with the C library. Foundation's formatters load ICU and its
/// time-zone data, which costs several MiB of memory in a process that only needs digits.
public enum UTCTimestamp {
    /// `2026-11-29T18:51:34Z`, or `2026-11-29T18:51:34.123Z` with milliseconds.
    public static func iso8601(_ date: Date, milliseconds: Bool = false) -> String {
        guard milliseconds else { return format(date, "%Y-%m-%dT%H:%M:%SZ") }
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        let padded = String(millis)
        return format(date, "%Y-%m-%dT%H:%M:%S") + "." + String(repeating: "0", count: 3 - padded.count) + padded + "Z"
    }

    /// `20261129-185134`, for run ids.
    public static func compact(_ date: Date) -> String {
        format(date, "%Y%m%d-%H%M%S")
    }

    private static func format(_ date: Date, _ pattern: String) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
