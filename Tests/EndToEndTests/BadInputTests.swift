import Foundation
import TestSupport
import Testing

/// Bad input: a one-line cause with its location, exit 2, no stack trace, and nothing
/// written — not even the state directory.
@Suite("Bad input is refused clearly, changing nothing")
struct BadInputTests {
    func expectRefused(_ result: CommandResult, _ fragments: [String], status: Int32 = 2,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status && !result.signaled, "\(result)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "missing \(fragment.debugDescription) in:\n\(result)", sourceLocation: sourceLocation)
        }
        #expect(!result.output.contains("Fatal error") && !result.output.contains("Stack dump"), sourceLocation: sourceLocation)
    }

    static let good = """
        name: good
        params:
          count: { type: int, default: 1 }
          mode: { type: enum, values: [fast, safe], default: safe }
          name: { type: string, pattern: '^[a-z]+$', default: abc }
        steps:
          - id: s
            uses: core.set
            with: { n: "${params.count}" }
        """

    @Test func malformedYAML() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("broken", "name: broken\nsteps:\n  - id: a\n    uses: core.set\n    with: {x: 1\n")
        expectRefused(try await sandbox.run("execute", "broken"), ["runbooks/broken.yaml:6:1: invalid YAML"])
        #expect(!sandbox.exists("home"))
    }

    @Test func runbookThatIsNotAMapping() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("list", "- a\n- b\n")
        expectRefused(try await sandbox.run("validate", "list"), ["runbooks/list.yaml:1:1: the runbook must be a mapping"])
    }

    @Test func unknownPluginAndInputsReportedTogether() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("typos", """
            name: typos
            steps:
              - id: a
                uses: core.fiel
                with: { path: x }
              - id: b
                uses: core.file
                with: { path: x, contnt: y, mode: "${steps.a.nope}" }
            """)
        let result = try await sandbox.run("execute", "typos")
        expectRefused(result, [
            "runbooks/typos.yaml:4:11: step 'a': unknown plugin 'core.fiel'; did you mean 'core.file'?",
            "runbooks/typos.yaml:8:11: step 'b': missing required input 'content' of core.file",
            "runbooks/typos.yaml:8:22: step 'b': unknown input 'contnt'; did you mean 'content'?",
        ])
        #expect(!sandbox.exists("home"))
    }

    @Test func forwardReferenceAndDuplicateIDs() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("refs", """
            name: refs
            steps:
              - id: a
                uses: core.set
                with: { v: "${steps.b.v}" }
              - id: b
                uses: core.set
                with: { v: 1 }
              - id: b
                uses: core.set
                with: { v: 2 }
            """)
        expectRefused(try await sandbox.run("validate", "refs"), [
            "runbooks/refs.yaml:5:16: step 'a': input 'v': refers forward to step 'b', which runs later",
            "runbooks/refs.yaml:9:9: duplicate step id 'b' (first at line 6)",
        ])
    }

    @Test func wrongParamTypesAndPatterns() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("good", Self.good)
        expectRefused(try await sandbox.run("execute", "good", "--param", "count=many"),
                      ["--param count: must be a whole number, not string many"])
        expectRefused(try await sandbox.run("execute", "good", "--param", "mode=reckless"),
                      ["--param mode: 'reckless' is not one of: fast, safe"])
        expectRefused(try await sandbox.run("execute", "good", "--param", "name=ABC"),
                      ["--param name: 'ABC' does not match the pattern ^[a-z]+$"])
        expectRefused(try await sandbox.run("execute", "good", "--param", "count"), ["--param 'count': expected KEY=VALUE"])
        expectRefused(try await sandbox.run("execute", "good", "--param", "colour=red"),
                      ["--param colour: unknown param 'colour': runbook 'good' takes count, mode, name"])
        try sandbox.write("p.yaml", "count: [1]\nbogus: 2\n")
        expectRefused(try await sandbox.run("execute", "good", "--params-file", "p.yaml"),
                      ["p.yaml:2:1: unknown param 'bogus'", "p.yaml:1:8: param 'count': must be a whole number, not a list"])
        expectRefused(try await sandbox.run("execute", "good", "--params-file", "absent.yaml"), ["--params-file absent.yaml: no such file"])
        #expect(!sandbox.exists("home"), "nothing may be written for invalid input")
    }

    @Test func missingRunbookAndUnknownRun() async throws {
        let sandbox = try Sandbox()
        expectRefused(try await sandbox.run("execute", "nothere"), ["no runbook named 'nothere'"])
        expectRefused(try await sandbox.run("execute", "nothere.yaml"), ["nothere.yaml: no such file"])
        expectRefused(try await sandbox.run("status", "20990101-000000-0000"), ["no run '20990101-000000-0000'"])
        expectRefused(try await sandbox.run("resume", "20990101-000000-0000"), ["no run '20990101-000000-0000'"])
        expectRefused(try await sandbox.run("log", "nope"), ["no run 'nope'"])
    }

    @Test func usageErrorsExitTwo() async throws {
        let sandbox = try Sandbox()
        expectRefused(try await sandbox.run("execute"), ["Missing expected argument '<runbook>'"])
        expectRefused(try await sandbox.run("frobnicate"), ["Unexpected argument 'frobnicate'"])
        expectRefused(try await sandbox.run("execute", "x", "--on-failure", "explode"), ["--on-failure"])
    }

    @Test func corruptAndForeignStateDatabases() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("good", Self.good)
        let garbage = String(repeating: "not a database ", count: 100)
        try sandbox.write("home/state.db", garbage, mode: 0o600)
        expectRefused(try await sandbox.run("execute", "good"), ["home/state.db is not a runbook state database"])
        expectRefused(try await sandbox.run("runs"), ["is not a runbook state database"])
        #expect(sandbox.read("home/state.db") == garbage, "a corrupt database is left exactly as it was")

        let foreign = try Sandbox()
        try foreign.writeRunbook("good", Self.good)
        try FileManager.default.createDirectory(atPath: foreign.home, withIntermediateDirectories: true)
        let made = try await ProcessCheck.run("/usr/bin/env", ["python3", "-c",
            "import sqlite3; c=sqlite3.connect('\(foreign.home)/state.db'); c.execute('create table t(x)'); c.commit()"])
        #expect(made == 0)
        expectRefused(try await foreign.run("execute", "good"), ["is an SQLite database that runbook did not create"])
    }

    @Test func unwritableStateDirectory() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("good", Self.good)
        try sandbox.write("afile", "x")
        let result = try await sandbox.run(["execute", "good"], environment: ["RUNBOOK_HOME": sandbox.path("afile/state")])
        expectRefused(result, ["cannot use state directory", "afile/state: Not a directory"])
    }
}

/// Runs a helper command to completion (for test set-up).
enum ProcessCheck {
    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in continuation.finish() }
        try ProcessRunner.launch(process)
        for await _ in stream {}
        return process.terminationStatus
    }
}
