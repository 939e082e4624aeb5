import Foundation
import Testing

/// The CLI's commands, their JSON shapes and exit codes, through the built binary.
@Suite("Commands and their output")
struct CommandLineTests {
    static let demo = """
        name: demo
        description: writes a greeting per name
        params:
          names: { type: list, default: [a, b] }
          greeting: { type: string, default: hello, description: what to say }
        steps:
          - id: text
            uses: core.set
            with: { line: "${params.greeting} from ${run.id}" }
          - id: files
            foreach: ${params.names}
            uses: core.file
            with: { path: "out/${item}.txt", content: "${steps.text.line}\\n" }
        """

    func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("demo", Self.demo)
        try FileManager.default.createDirectory(atPath: sandbox.path("out"), withIntermediateDirectories: true)
        return sandbox
    }

    @Test func executeThenStatusRunsAndLogAsJSON() async throws {
        let sandbox = try sandbox()
        let run = try await sandbox.run("execute", "demo", "--param", "names=[x, y, z]", "--output", "json")
        #expect(run.status == 0, "\(run)")
        let executed = try #require(try run.json() as? [String: Any])
        let runID = try #require(executed["id"] as? String)
        #expect(executed["state"] as? String == "succeeded")
        #expect(sandbox.read("out/z.txt") == "hello from \(runID)\n")

        let status = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(status["id"] as? String == runID)
        #expect(status["runbook"] as? String == "demo")
        #expect(status["state"] as? String == "succeeded")
        #expect((status["params"] as? [String: Any])?["names"] as? [String] == ["x", "y", "z"])
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.map { $0["instance"] as? String } == ["text", "files[x]", "files[y]", "files[z]"])
        #expect(steps.allSatisfy { $0["state"] as? String == "applied" })
        #expect(steps.allSatisfy { $0.keys.contains("error") && $0["id"] != nil && $0["outputs"] != nil })
        #expect((steps[0]["outputs"] as? [String: Any])?["line"] as? String == "hello from \(runID)")

        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs[0]["id"] as? String == runID && runs[0]["runbook"] as? String == "demo")
        #expect(runs[0]["state"] as? String == "succeeded" && runs[0]["created_at"] is String)

        let log = try await sandbox.run("log", runID)
        #expect(log.status == 0)
        #expect(log.stdout.contains("started  files[y]") && log.stdout.contains("state  succeeded"), "\(log)")
    }

    @Test func statusWithoutRunNamesTheMostRecent() async throws {
        let sandbox = try sandbox()
        _ = try await sandbox.run("execute", "demo")
        let second = try await sandbox.run("execute", "demo", "--param", "greeting=bye", "--output", "json")
        let secondID = try #require((try second.json() as? [String: Any])?["id"] as? String)
        let status = try await sandbox.run("status")
        #expect(status.status == 0)
        #expect(status.stderr.contains("using the most recent run, \(secondID)"), "\(status)")
        #expect(status.stdout.contains("run \(secondID)  demo  succeeded"), "\(status)")
    }

    @Test func listShowValidateAndPlugins() async throws {
        let sandbox = try sandbox()
        let list = try await sandbox.run("list")
        #expect(list.stdout.contains("demo") && list.stdout.contains("writes a greeting per name"), "\(list)")
        let show = try await sandbox.run("show", "demo")
        #expect(show.status == 0 && show.stdout.contains("files: core.file for each of ${params.names}"), "\(show)")
        let valid = try #require(try await sandbox.run("validate", "demo", "--output", "json").json() as? [String: Any])
        #expect(valid["valid"] as? Bool == true)
        let plugins = try #require(try await sandbox.run("plugins", "--output", "json").json() as? [[String: Any]])
        let ids = plugins.compactMap { $0["id"] as? String }
        #expect(["core.file", "core.set", "core.wait"].allSatisfy(ids.contains), "\(ids)")
        let file = try #require(plugins.first { $0["id"] as? String == "core.file" })
        #expect((file["inputs"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["path", "content", "mode"])
    }

    @Test func runbooksAreFoundOnRunbookPath() async throws {
        let sandbox = try Sandbox()
        try sandbox.write("elsewhere/far.yaml", "name: far\nsteps:\n  - id: s\n    uses: core.set\n    with: {a: 1}\n")
        let found = try await sandbox.run(["validate", "far"], environment: ["RUNBOOK_PATH": sandbox.path("elsewhere")])
        #expect(found.status == 0, "\(found)")
        let byPath = try await sandbox.run("validate", "elsewhere/far.yaml")
        #expect(byPath.status == 0, "\(byPath)")
    }

    @Test func paramsFileAndCommandLineParams() async throws {
        let sandbox = try sandbox()
        try sandbox.write("params.yaml", "names: [p, q]\ngreeting: hi\n")
        let run = try await sandbox.run("execute", "demo", "--params-file", "params.yaml", "--param", "greeting=yo", "--output", "json")
        #expect(run.status == 0, "\(run)")
        let id = try #require((try run.json() as? [String: Any])?["id"] as? String)
        #expect(sandbox.read("out/q.txt") == "yo from \(id)\n")
        #expect(!sandbox.exists("out/a.txt"))
    }

    @Test func failedRunPrintsHowToResumeAndResumesAfterTheFix() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("needsdir", """
            name: needsdir
            steps:
              - id: first
                uses: core.file
                with: { path: first.txt, content: "1\\n" }
              - id: second
                uses: core.file
                with: { path: missing/second.txt, content: "2\\n" }
            """)
        let failed = try await sandbox.run("execute", "needsdir")
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stdout.contains("failed: step second failed: cannot write"), "\(failed)")
        #expect(failed.stdout.contains("runbook resume ") && failed.stdout.contains("runbook rollback "), "\(failed)")
        #expect(sandbox.read("first.txt") == "1\n")

        try FileManager.default.createDirectory(atPath: sandbox.path("missing"), withIntermediateDirectories: true)
        let resumed = try await sandbox.run("resume")
        #expect(resumed.status == 0, "\(resumed)")
        #expect(sandbox.read("missing/second.txt") == "2\n")
    }

    @Test func onFailureRollbackUndoesAtOnce() async throws {
        let sandbox = try Sandbox()
        try sandbox.write("keep.txt", "original\n")
        try sandbox.writeRunbook("undo", """
            name: undo
            steps:
              - id: first
                uses: core.file
                with: { path: keep.txt, content: "changed\\n" }
              - id: second
                uses: core.file
                with: { path: nowhere/x.txt, content: "2\\n" }
            """)
        let run = try await sandbox.run("execute", "undo", "--on-failure", "rollback", "--output", "json")
        #expect(run.status == 1, "\(run)")
        let status = try #require(try run.json() as? [String: Any])
        #expect(status["state"] as? String == "rolled-back")
        #expect((status["error"] as? String)?.contains("step second failed") == true)
        #expect(sandbox.read("keep.txt") == "original\n")
    }

    @Test func onFailureInTheFileAndTimeoutAndWhen() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("slow", """
            name: slow
            on_failure: rollback
            params:
              extra: { type: bool, default: false }
            steps:
              - id: mark
                uses: core.file
                with: { path: mark.txt, content: "x" }
              - id: optional
                uses: core.file
                when: ${params.extra}
                with: { path: optional.txt, content: "x" }
              - id: wait
                uses: core.wait
                timeout: 300ms
                with: { duration: 30s }
            """)
        let run = try await sandbox.run("execute", "slow", "--output", "json")
        #expect(run.status == 1, "\(run)")
        let status = try #require(try run.json() as? [String: Any])
        #expect(status["state"] as? String == "rolled-back")
        #expect((status["error"] as? String)?.contains("timed out after 300ms") == true, "\(status)")
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.first { $0["instance"] as? String == "optional" }?["state"] as? String == "skipped")
        #expect(!sandbox.exists("mark.txt") && !sandbox.exists("optional.txt"))
    }

    @Test func resumeSaysWhenTheFileChangedAndUsesTheStoredCopy() async throws {
        let sandbox = try Sandbox()
        let original = """
            name: changing
            steps:
              - id: one
                uses: core.file
                with: { path: one.txt, content: "one\\n" }
              - id: two
                uses: core.file
                with: { path: two.txt, content: "two\\n" }
            """
        try sandbox.writeRunbook("changing", original)
        let crashed = try await sandbox.run(["execute", "changing"], environment: ["RUNBOOK_FAILPOINT": "two:before-apply"])
        #expect(crashed.signaled)
        try sandbox.writeRunbook("changing", original.replacingOccurrences(of: "two\\n", with: "EDITED\\n"))
        let resumed = try await sandbox.run("resume")
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("runbooks/changing.yaml has changed since this run started; using the copy stored with the run"),
                "\(resumed)")
        #expect(sandbox.read("two.txt") == "two\n")
    }

    @Test func helpExitsZero() async throws {
        let sandbox = try Sandbox()
        let help = try await sandbox.run("--help")
        #expect(help.status == 0 && help.stdout.contains("execute"), "\(help)")
        let sub = try await sandbox.run("execute", "--help")
        #expect(sub.status == 0 && sub.stdout.contains("--dry-run"), "\(sub)")
    }
}
