import Foundation
import Testing
import TestSupport

/// Progress on a terminal (a pseudo-terminal from `script`): a live line per instance with
/// its state and elapsed time, in colour unless `NO_COLOR` is set; plain lines when piped.
@Suite("Progress on a terminal")
struct TerminalTests {
    static let runbook = """
        name: tty
        steps:
          - id: first
            uses: core.set
            with: { a: 1 }
          - id: pause
            uses: core.wait
            with: { duration: 600ms }
        """

    /// Runs `runbook execute tty` under `script`, which gives it a terminal; returns what
    /// the terminal received.
    func onTerminal(_ sandbox: Sandbox, noColor: Bool) async throws -> String {
        var environment = sandbox.environment
        environment["TERM"] = "xterm"
        if noColor { environment["NO_COLOR"] = "1" } else { environment.removeValue(forKey: "NO_COLOR") }
        let command = "\(Sandbox.binary) execute tty"
        let result = try await ProcessRunner.run("script", ["-qfec", command, "/dev/null"], environment: environment,
                                                 currentDirectory: sandbox.root)
        #expect(result.exitStatus == 0, "\(result.standardOutput)\(result.standardError)")
        return result.standardOutput
    }

    @Test func liveLinesInColourUnlessNoColor() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("tty", Self.runbook)
        let coloured = try await onTerminal(sandbox, noColor: false)
        #expect(coloured.contains("\u{1B}[32mapplied"), "states in colour: \(coloured.debugDescription)")
        // The instance in flight is redrawn in place with its elapsed time.
        #expect(coloured.contains("\r\u{1B}[2K") && coloured.contains("pause"), "\(coloured.debugDescription)")

        let plain = try await onTerminal(sandbox, noColor: true)
        #expect(!plain.contains("\u{1B}[32m") && !plain.contains("\u{1B}[1m"), "NO_COLOR: \(plain.debugDescription)")
        #expect(plain.contains("applied       pause"))
    }

    @Test func pipedOutputIsPlainLines() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("tty", Self.runbook)
        let run = try await sandbox.run(["execute", "tty"], environment: ["NO_COLOR": "", "TERM": "xterm"])
        #expect(run.status == 0)
        #expect(!run.stdout.contains("\u{1B}"), "no escape codes when piped: \(run.stdout.debugDescription)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("  applied       first") })
        #expect(lines.contains { $0.hasPrefix("  applied       pause") })
    }
}
