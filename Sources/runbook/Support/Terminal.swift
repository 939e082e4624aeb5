import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing to stdout and stderr, and what the terminal supports.
enum Terminal {
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Colour only on a terminal, and never when `NO_COLOR` is set (no-color.org) or TERM=dumb.
    static func usesColor(environment: [String: String]) -> Bool {
        guard isInteractive else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func outRaw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// `runbook: error: ...` lines on stderr.
    static func error(_ lines: [String]) {
        let text = lines.enumerated().map { $0.offset == 0 ? "runbook: error: \($0.element)" : "  \($0.element)" }
        errorRaw(text.joined(separator: "\n"))
    }

    static func errorRaw(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// A note on stderr, so it never mixes into JSON on stdout.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Output goes through unbuffered FileHandle writes; nothing to flush but C stdio.
    static func flush() {
        fflush(nil)
    }
}
