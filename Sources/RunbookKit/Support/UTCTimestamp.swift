import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// UTC timestamps formatted with the C library. Foundation's formatters load ICU and its
/// time-zone data, which costs several MiB of memory in a process that only needs digits.
public enum UTCTimestamp {
    /// `2026-11-29T18:51:34Z`
    public static func iso8601(_ date: Date) -> String {
        format(date, "%Y-%m-%dT%H:%M:%SZ")
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
