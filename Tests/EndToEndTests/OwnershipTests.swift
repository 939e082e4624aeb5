import Foundation
import Testing

/// One process owns a run at a time; many runs share one database.
@Suite("Run ownership, parallel runs, signals")
struct OwnershipTests {
    @Test func aLiveOwnerMakesOthersExitThreeAndADeadOneIsTakenOver() async throws {
        let sandbox = try Sandbox()
        let (owner, runID) = try await startGate(sandbox)

        let second = try await sandbox.run("resume", runID)
        #expect(second.status == 3, "\(second)")
        #expect(second.stderr.contains("run \(runID) is in use by pid \(owner.pid)"), "\(second)")
        let rollback = try await sandbox.run("rollback", runID)
        #expect(rollback.status == 3, "\(rollback)")

        let status = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(status["state"] as? String == "running")
        #expect((status["owner"] as? [String: Any])?["pid"] as? Int == Int(owner.pid))

        owner.signal(SIGKILL)
        let killed = try await owner.finish()
        #expect(killed.signaled)
        let after = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(after["state"] as? String == "interrupted", "a dead owner's run reads as interrupted")

        try sandbox.write("release", "")
        let resumed = try await sandbox.run("resume", runID)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("took over run \(runID) from pid \(owner.pid)"), "\(resumed)")
        #expect(sandbox.read("after.txt") == "after\n")
    }

    @Test func tenRunsInParallelOnOneDatabaseAllSucceed() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("quick", """
            name: quick
            params:
              tag: { type: string }
            steps:
              - id: values
                uses: core.set
                with: { a: "${params.tag}", b: 2, c: [1, 2, 3] }
              - id: file
                uses: core.file
                with: { path: "out/${params.tag}.txt", content: "${steps.values.a}\\n" }
              - id: more
                foreach: [one, two, three, four, five]
                uses: core.set
                with: { item: "${item}" }
            """)
        try FileManager.default.createDirectory(atPath: sandbox.path("out"), withIntermediateDirectories: true)
        let processes = try (0..<10).map { try sandbox.start(["execute", "quick", "--param", "tag=t\($0)"]) }
        var results: [CommandResult] = []
        for process in processes { results.append(try await process.finish()) }
        for result in results { #expect(result.status == 0, "\(result)") }
        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        #expect(runs.count == 10)
        #expect(runs.allSatisfy { $0["state"] as? String == "succeeded" })
        #expect(Set(runs.compactMap { $0["id"] as? String }).count == 10)
        for i in 0..<10 { #expect(sandbox.read("out/t\(i).txt") == "t\(i)\n") }
    }

    /// A runbook whose middle step blocks until the test creates `release`: the step is in
    /// flight for exactly as long as the test needs, whatever the machine's load.
    static let gate = """
        name: gate
        steps:
          - id: before
            uses: core.file
            with: { path: before.txt, content: "before\\n" }
          - id: gate
            uses: core.shell
            with: { run: "touch entered; while [ ! -f release ]; do sleep 0.05; done", check: "test -f passed", undo: "true" }
          - id: after
            uses: core.file
            with: { path: after.txt, content: "after\\n" }
        """

    /// Starts `execute gate` and waits until its gate step runs; returns the run id.
    func startGate(_ sandbox: Sandbox) async throws -> (RunningCommand, String) {
        try sandbox.writeRunbook("gate", Self.gate)
        let running = try sandbox.start(["execute", "gate"])
        try await running.waitUntil { sandbox.exists("entered") }
        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        return (running, try #require(runs.last?["id"] as? String))
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] as [(Int32, Int32)])
    func aSignalFinishesTheStepInFlightThenStops(signal: Int32, exitCode: Int32) async throws {
        let sandbox = try Sandbox()
        let (running, runID) = try await startGate(sandbox)
        running.signal(signal)
        // The notice says the engine will stop after the step in flight; then let it finish.
        try await running.waitUntil { running.stderrSoFar.contains("finishing the step in flight") }
        try sandbox.write("release", "")
        let stopped = try await running.finish()
        #expect(stopped.status == exitCode && !stopped.signaled, "\(stopped)")
        #expect(stopped.stdout.contains("interrupted") && stopped.stdout.contains("runbook resume \(runID)"), "\(stopped)")
        #expect(stopped.stdout.contains("applied       gate"), "the step in flight finishes: \(stopped)")

        let status = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(status["state"] as? String == "interrupted")
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.map { $0["state"] as? String } == ["applied", "applied", "pending"])
        #expect(!sandbox.exists("after.txt"))

        let resumed = try await sandbox.run("resume", runID)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(sandbox.read("after.txt") == "after\n")
    }

    @Test func aSecondInterruptAbandonsTheStepInFlightForResumeToSettle() async throws {
        let sandbox = try Sandbox()
        let (running, runID) = try await startGate(sandbox)
        running.signal(SIGINT)
        try await running.waitUntil { running.stderrSoFar.contains("finishing the step in flight") }
        running.signal(SIGINT)
        let stopped = try await running.finish()
        #expect(stopped.status == 130, "\(stopped)")

        let status = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(status["state"] as? String == "interrupted")
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.map { $0["state"] as? String } == ["applied", "started", "pending"], "\(status)")

        // The abandoned command was killed with its group; resume settles the step through
        // its check (not there), runs it again, and finishes.
        try sandbox.write("release", "")
        let resumed = try await sandbox.run("resume", runID)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("settled       gate  not applied; applying again"), "\(resumed)")
        #expect(sandbox.read("after.txt") == "after\n")
    }
}
