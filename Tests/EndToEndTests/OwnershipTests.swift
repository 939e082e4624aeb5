import Foundation
import Testing

/// One process owns a run at a time; many runs share one database.
@Suite("Run ownership, parallel runs, signals")
struct OwnershipTests {
    static let slow = """
        name: slow
        params:
          tag: { type: string, default: x }
          wait: { type: string, default: 3s }
        steps:
          - id: before
            uses: core.file
            with: { path: "out/${params.tag}-before.txt", content: "before\\n" }
          - id: wait
            uses: core.wait
            with: { duration: "${params.wait}" }
          - id: after
            uses: core.file
            with: { path: "out/${params.tag}-after.txt", content: "after\\n" }
        """

    func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("slow", Self.slow)
        try FileManager.default.createDirectory(atPath: sandbox.path("out"), withIntermediateDirectories: true)
        return sandbox
    }

    /// Waits until the run has reached its waiting step and returns its id.
    func waitForWaitStep(_ sandbox: Sandbox, _ running: RunningCommand) async throws -> String {
        try await running.waitUntil { running.stdoutSoFar.contains("applied       before") }
        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        return try #require(runs.last?["id"] as? String)
    }

    @Test func aLiveOwnerMakesOthersExitThreeAndADeadOneIsTakenOver() async throws {
        let sandbox = try Sandbox()
        // The middle step blocks until the test creates `release`: the owner is alive for as
        // long as the test needs, and the resumed run finishes at once.
        try sandbox.writeRunbook("gate", """
            name: gate
            steps:
              - id: before
                uses: core.file
                with: { path: before.txt, content: "before\\n" }
              - id: gate
                uses: core.shell
                with: { run: "while [ ! -f release ]; do sleep 0.05; done", check: "test -f passed", undo: "true" }
              - id: after
                uses: core.file
                with: { path: after.txt, content: "after\\n" }
            """)
        let owner = try sandbox.start(["execute", "gate"])
        try await owner.waitUntil { owner.stdoutSoFar.contains("applied       before") }
        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        let runID = try #require(runs.last?["id"] as? String)

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

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] as [(Int32, Int32)])
    func aSignalFinishesTheStepInFlightThenStops(signal: Int32, exitCode: Int32) async throws {
        let sandbox = try sandbox()
        let running = try sandbox.start(["execute", "slow"])
        let runID = try await waitForWaitStep(sandbox, running)
        running.signal(signal)
        let stopped = try await running.finish()
        #expect(stopped.status == exitCode && !stopped.signaled, "\(stopped)")
        #expect(stopped.stdout.contains("interrupted") && stopped.stdout.contains("runbook resume \(runID)"), "\(stopped)")
        #expect(stopped.stdout.contains("applied       wait"), "the step in flight finishes: \(stopped)")

        let status = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(status["state"] as? String == "interrupted")
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.map { $0["state"] as? String } == ["applied", "applied", "pending"])
        #expect(!sandbox.exists("out/x-after.txt"))

        let resumed = try await sandbox.run("resume", runID)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(sandbox.read("out/x-after.txt") == "after\n")
    }

    @Test func aSecondInterruptAbandonsTheStepInFlightForResumeToSettle() async throws {
        let sandbox = try sandbox()
        let running = try sandbox.start(["execute", "slow"])
        let runID = try await waitForWaitStep(sandbox, running)
        running.signal(SIGINT)
        try await Task.sleep(for: .milliseconds(200))
        running.signal(SIGINT)
        let stopped = try await running.finish()
        #expect(stopped.status == 130, "\(stopped)")

        let status = try #require(try await sandbox.run("status", runID, "--output", "json").json() as? [String: Any])
        #expect(status["state"] as? String == "interrupted")
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.map { $0["state"] as? String } == ["applied", "started", "pending"], "\(status)")

        let resumed = try await sandbox.run("resume", runID)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("settled       wait  not applied; applying again"), "\(resumed)")
    }
}
