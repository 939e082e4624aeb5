import Foundation
import Testing

/// The crash matrix of docs/recovery.md: for every instance of a multi-step runbook and
/// every failpoint, the process is SIGKILLed there; `resume` must reach exactly the state
/// of an uninterrupted run, and `rollback` must restore the world as it was.
@Suite("Recovery after SIGKILL at every checkpoint")
struct RecoveryMatrixTests {
    static let runbook = """
        name: matrix
        description: a multi-step runbook of local effects
        params:
          names: { type: list, default: [alpha, beta] }
        steps:
          - id: settings
            uses: core.set
            with: { greeting: hello }
          - id: files
            foreach: ${params.names}
            uses: core.file
            with: { path: "out/${item}.txt", content: "${steps.settings.greeting} ${item}\\n", mode: "0600" }
          - id: config
            uses: core.file
            with: { path: out/existing.conf, content: "new config\\n", mode: "0640" }
          - id: append
            uses: core.shell
            with:
              run: "echo ${item} >> out/appended"
              check: "grep -qx ${item} out/appended 2>/dev/null"
              undo: "grep -vx ${item} out/appended > out/appended.tmp; if [ -s out/appended.tmp ]; then mv out/appended.tmp out/appended; else rm -f out/appended out/appended.tmp; fi"
            foreach: [one, two]
          - id: marker
            uses: core.file
            with: { path: out/done, content: "${steps.config.sha256}\\n" }
        """

    static let configDigest = "e4e423ab5da831dc183c8643a757681eb1580da2c2f7429ac34d4817822912be"

    static let instances = ["settings", "files[alpha]", "files[beta]", "config", "append[one]", "append[two]", "marker"]
    static let forwardPoints = ["before-apply", "after-apply", "after-checkpoint"]
    static let rollbackPoints = ["before-rollback", "after-rollback"]

    /// A sandbox with the runbook and the files that existed before any run.
    static func prepare() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("matrix", runbook)
        try sandbox.write("out/existing.conf", "old config\n", mode: 0o600)
        try sandbox.write("out/untouched", "not ours\n", mode: 0o644)
        return sandbox
    }

    /// What an uninterrupted run leaves in `out/`.
    static func expectFinalState(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) {
        let out = sandbox.snapshot("out")
        let expected: [String: FileState] = [
            "alpha.txt": FileState(data: Data("hello alpha\n".utf8), mode: 0o600),
            "beta.txt": FileState(data: Data("hello beta\n".utf8), mode: 0o600),
            "existing.conf": FileState(data: Data("new config\n".utf8), mode: 0o640),
            "untouched": FileState(data: Data("not ours\n".utf8), mode: 0o644),
            // Appended once per item, whatever the crash: `check` settles an in-doubt append.
            "appended": FileState(data: Data("one\ntwo\n".utf8), mode: 0o644),
            // SHA-256 of "new config\n": an output of an earlier step, carried through a crash.
            "done": FileState(data: Data("\(configDigest)\n".utf8), mode: 0o644),
        ]
        #expect(out == expected, sourceLocation: sourceLocation)
    }

    @Test("uninterrupted run, then rollback restores everything")
    func uninterrupted() async throws {
        let sandbox = try Self.prepare()
        let before = sandbox.snapshot("out")
        let run = try await sandbox.run("execute", "matrix")
        #expect(run.status == 0, "\(run)")
        Self.expectFinalState(sandbox)
        let undo = try await sandbox.run("rollback")
        #expect(undo.status == 0, "\(undo)")
        #expect(sandbox.snapshot("out") == before)
    }

    static var forwardCases: [(String, String)] {
        instances.flatMap { instance in forwardPoints.map { (instance, $0) } }
    }

    @Test("killed while executing, then resumed and rolled back", arguments: forwardCases)
    func killedWhileExecuting(instance: String, point: String) async throws {
        let sandbox = try Self.prepare()
        let before = sandbox.snapshot("out")

        let crashed = try await sandbox.run(["execute", "matrix"], environment: ["RUNBOOK_FAILPOINT": "\(instance):\(point)"])
        #expect(crashed.signaled && crashed.status == SIGKILL, "\(crashed)")

        let status = try await sandbox.run("status", "--output", "json")
        let state = try #require(status.json() as? [String: Any])["state"] as? String
        #expect(state == "interrupted", "\(status)")

        let resumed = try await sandbox.run("resume")
        #expect(resumed.status == 0, "\(resumed)")
        Self.expectFinalState(sandbox)

        // Each effect once: every instance was applied exactly one time, or settled.
        let log = try await sandbox.run("log", try #require(Self.runID(status)))
        let applied = log.stdout.split(separator: "\n").filter { $0.contains("  applied  ") || $0.contains("  settled  ") }
        #expect(log.stdout.components(separatedBy: "  applied  \(instance)").count - 1 <= 1, "\(log)")
        #expect(!applied.isEmpty)

        let undone = try await sandbox.run("rollback")
        #expect(undone.status == 0, "\(undone)")
        #expect(sandbox.snapshot("out") == before)
    }

    static var rollbackCases: [(String, String)] {
        instances.flatMap { instance in rollbackPoints.map { (instance, $0) } }
    }

    @Test("killed while rolling back, then rolled back again", arguments: rollbackCases)
    func killedWhileRollingBack(instance: String, point: String) async throws {
        let sandbox = try Self.prepare()
        let before = sandbox.snapshot("out")
        let run = try await sandbox.run("execute", "matrix")
        #expect(run.status == 0, "\(run)")

        let crashed = try await sandbox.run(["rollback"], environment: ["RUNBOOK_FAILPOINT": "\(instance):\(point)"])
        #expect(crashed.signaled && crashed.status == SIGKILL, "\(crashed)")

        let refused = try await sandbox.run("resume")
        #expect(refused.status == 2, "resume must not run forward a run being undone: \(refused)")

        let finished = try await sandbox.run("rollback")
        #expect(finished.status == 0, "\(finished)")
        #expect(sandbox.snapshot("out") == before)
        let status = try await sandbox.run("status", "--output", "json")
        #expect((try status.json() as? [String: Any])?["state"] as? String == "rolled-back")
    }

    static func runID(_ status: CommandResult) -> String? {
        ((try? status.json()) as? [String: Any])?["id"] as? String
    }
}
