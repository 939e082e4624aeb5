/// Durations in runbook files: `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds.
extension Duration {
    public init?(runbookText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count)
            guard let amount = Double(number), amount >= 0, amount.isFinite else { return nil }
            self = .milliseconds(Int64((amount * unit.seconds * 1000).rounded()))
            return
        }
        guard let seconds = Double(trimmed), seconds >= 0, seconds.isFinite else { return nil }
        self = .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// Seconds as a Double, for arithmetic and display.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// `1.2s`, `350ms`: short, for progress lines.
    public var shortText: String {
        let s = seconds
        if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
        if s < 60 {
            let tenths = Int((s * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)s"
        }
        return "\(Int(s) / 60)m\(Int(s) % 60)s"
    }
}

import Foundation
