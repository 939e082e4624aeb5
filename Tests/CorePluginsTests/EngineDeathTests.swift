import CorePlugins
import Foundation
import Testing
import TestSupport

/// The kill -9 guarantee with a real engine process: this test binary re-executes itself
/// to run `engineStandIn` alone, which starts `sleep 300 & sleep 300` through
/// `Subprocess` exactly as `core.shell` does and waits. The test SIGKILLs that process —
/// no handler, no deinit, no cleanup of any kind runs — and then requires every process
/// of the command (found by an environment marker only they carry) to be gone.
///
/// Linux only: it finds itself through /proc/self/exe and re-runs with Swift Testing's
/// command line, which is how `swift test` runs this binary there.
@Suite(.timeLimit(.minutes(1))) struct EngineDeathTests {
    /// Set for the re-executed copy: the marker value its command must carry.
    static let standInVariable = "RUNBOOK_TEST_ENGINE_STAND_IN"
    static var isStandIn: Bool { ProcessInfo.processInfo.environment[standInVariable] != nil }
    static var canReexecute: Bool {
        #if os(Linux)
        return !isStandIn
        #else
        return false
        #endif
    }

    @Test(.enabled(if: canReexecute)) func sigkillingTheEngineKillsTheCommandAndItsChildren() async throws {
        let marker = ProcessProbe.newMarker()
        let engine = Process()
        engine.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        engine.arguments = ["--testing-library", "swift-testing", "--filter", "EngineDeathTests/engineStandIn"]
        engine.environment = ProcessInfo.processInfo.environment.merging([Self.standInVariable: marker.value]) { $1 }
        engine.standardInput = FileHandle.nullDevice
        engine.standardOutput = FileHandle.nullDevice
        engine.standardError = FileHandle.nullDevice
        try engine.run()

        // The shell and both sleeps (the shell may have exec'd into the last one).
        let running = await ProcessProbe.wait(upTo: .seconds(30)) {
            ProcessProbe.processes(withEnvironment: marker.entry).count >= 2
        }
        guard running else {
            kill(engine.processIdentifier, SIGKILL)
            Issue.record("the stand-in engine never started its command")
            return
        }
        let command = ProcessProbe.processes(withEnvironment: marker.entry)

        kill(engine.processIdentifier, SIGKILL)
        let engineGone = await ProcessProbe.wait(upTo: .seconds(10)) { !engine.isRunning }
        #expect(engineGone)
        #expect(engine.terminationReason == .uncaughtSignal)

        let commandGone = await ProcessProbe.wait(upTo: .seconds(5)) {
            ProcessProbe.processes(withEnvironment: marker.entry).isEmpty
        }
        #expect(commandGone, "still running: \(ProcessProbe.processes(withEnvironment: marker.entry))")
        #expect(command.allSatisfy { !ProcessProbe.isAlive($0) })
        // Should this fail, leave no 300-second sleeps behind.
        for pid in ProcessProbe.processes(withEnvironment: marker.entry) { kill(pid, SIGKILL) }
    }

    /// Runs only in the re-executed copy (skipped otherwise): the engine that gets killed.
    @Test(.enabled(if: isStandIn)) func engineStandIn() async throws {
        let value = ProcessInfo.processInfo.environment[Self.standInVariable] ?? ""
        let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", ProcessProbe.markerName: value]
        _ = try await Subprocess.shell("sleep 300 & sleep 300", environment: environment).run()
    }
}
