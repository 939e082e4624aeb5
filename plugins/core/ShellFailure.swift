import Foundation
import RunbookKit

/// Builds the error for a `core.shell` command that failed, for the operator: which command
/// (`run`, `check`, `undo`), how it ended, and the last lines it wrote to stderr (or to
/// stdout if stderr is empty), with every secret of the step's inputs scrubbed out.
/// The command text itself is not quoted: it may hold a secret, and the runbook shows it.
enum ShellFailure {
    /// How many lines and characters of output an error quotes.
    static let tailLines = 10
    static let tailCharacters = 2000

    static func error(_ role: String, _ result: SubprocessResult, redactor: Redactor) -> PluginError {
        var message = "\(role) failed with \(result.status)"
        let tail = Self.tail(of: result.stderr.text.isEmpty ? result.stdout : result.stderr)
        if !tail.isEmpty { message += ": " + redactor.redact(tail) }
        return PluginError(message)
    }

    /// `run` could not be executed or was killed for its timeout.
    static func error(_ role: String, _ error: SubprocessError, redactor: Redactor) -> PluginError {
        var message = "\(role): \(error)"
        if case .timedOut(_, let partial) = error {
            let tail = Self.tail(of: partial.stderr)
            if !tail.isEmpty { message += "; it had written: " + redactor.redact(tail) }
        }
        return PluginError(message)
    }

    /// The last lines of `output`, trimmed, joined with ` | ` to keep the error on one line.
    static func tail(of output: CapturedOutput) -> String {
        let lines = output.text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var text = lines.suffix(tailLines).joined(separator: " | ")
        if text.count > tailCharacters { text = "…" + String(text.suffix(tailCharacters)) }
        return text
    }
}
