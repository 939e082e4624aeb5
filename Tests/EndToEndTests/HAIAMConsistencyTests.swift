import Foundation
import Testing
import TestSupport

/// IAM is eventually consistent (moto is not): a fault proxy answers `NoSuchEntity` for a
/// while after an entity is created, and the run must ride it out, bounded.
@Suite("ha-iam and IAM's eventual consistency")
struct HAIAMConsistencyTests {
    /// Starts the proxy in front of moto; returns it and its endpoint.
    func startProxy(_ world: IAMWorld, failures: Int, preset: [String] = []) throws -> (Process, String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/iam_fault_proxy.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, world.moto.endpointURL.absoluteString, String(failures)] + preset
        let output = Pipe()
        process.standardOutput = output
        try ProcessRunner.launch(process)
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (process, "http://127.0.0.1:\(line)")
    }

    @Test func callsOnAJustCreatedUserRetryNoSuchEntity() async throws {
        let world = try await IAMWorld(user: "ec-user")
        let (proxy, endpoint) = try startProxy(world, failures: 3)
        defer { proxy.terminate() }
        let run = try await world.execute(["attach_via=group", "group_name=ec-group", "tags={team: ops}"],
                                          environment: ["AWS_ENDPOINT_URL": endpoint])
        #expect(run.status == 0, "\(run)")
        try await world.expectCompleted(tags: ["team": "ops"], via: "group")
        let runID = try #require((try await world.sandbox.run("runs", "--output", "json").json() as? [[String: Any]])?.last?["id"] as? String)
        let log = try await world.sandbox.run("log", runID)
        #expect(log.stdout.contains("not visible yet (NoSuchEntity); retrying"), "\(log)")
        let undo = try await world.sandbox.run(["rollback"], environment: ["AWS_ENDPOINT_URL": world.moto.endpointURL.absoluteString])
        #expect(undo.status == 0, "\(undo)")
    }

    @Test func reconcileDoesNotConcludeGoneFromOneNoSuchEntity() async throws {
        let world = try await IAMWorld(user: "ec-reconcile")
        // The user is created, the answer lost: the process dies before the checkpoint.
        let crashed = try await world.execute(environment: ["RUNBOOK_FAILPOINT": "create-user:after-apply"])
        #expect(crashed.signaled)
        // Resume through a proxy that still says NoSuchEntity for the next calls on it.
        let (proxy, endpoint) = try startProxy(world, failures: 2, preset: ["user/\(world.user)"])
        defer { proxy.terminate() }
        let resumed = try await world.sandbox.run(["resume"], environment: ["AWS_ENDPOINT_URL": endpoint])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("settled       create-user  applied before the interruption"), "\(resumed)")
        try await world.expectCompleted()
    }
}
