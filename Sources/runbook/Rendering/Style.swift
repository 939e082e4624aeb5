import RunbookKit

/// ANSI styling of state words, or none.
struct Style {
    var color: Bool

    func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func state(_ state: InstanceState, width: Int = 12) -> String {
        let padded = state.rawValue.padding(toLength: max(width, state.rawValue.count), withPad: " ", startingAt: 0)
        switch state {
        case .applied: return paint(padded, "32")
        case .failed: return paint(padded, "31")
        case .rolledBack, .rollingBack: return paint(padded, "33")
        case .skipped, .pending: return paint(padded, "2")
        case .started: return paint(padded, "36")
        }
    }

    func run(_ state: RunState) -> String {
        switch state {
        case .succeeded, .rolledBack: return paint(state.rawValue, "32")
        case .failed, .rollbackFailed: return paint(state.rawValue, "31")
        case .interrupted: return paint(state.rawValue, "33")
        case .running, .rollingBack: return paint(state.rawValue, "36")
        }
    }

    func bold(_ text: String) -> String { paint(text, "1") }
    func dim(_ text: String) -> String { paint(text, "2") }
}

/// Timestamps in output: UTC, ISO 8601.
enum Timestamp {
    static func iso(_ date: Date) -> String {
        UTCTimestamp.iso8601(date)
    }
}

import Foundation
