import Foundation
import Testing
import TestSupport

/// A command never outlives the engine: if `runbook` is SIGKILLed while a `core.shell` step
/// runs, the command and everything it started die with it, so a resumed run never races
/// an orphan.
@Suite("core.shell and engine death")
struct ShellLifetimeTests {
    @Test func killingTheEngineKillsTheCommandAndItsChildren() async throws {
        let sandbox = try Sandbox()
        let marker = ProcessProbe.newMarker()
        try sandbox.writeRunbook("long", """
            name: long
            steps:
              - id: sleepers
                uses: core.shell
                with:
                  run: "sleep 300 & sleep 300"
                  env: { \(marker.name): "\(marker.value)" }
            """)
        let engine = try sandbox.start(["execute", "long"])
        let started = await ProcessProbe.wait(upTo: .seconds(30)) {
            ProcessProbe.processes(withEnvironment: marker.entry).count >= 2
        }
        #expect(started, "the command and its background child are running")

        engine.signal(SIGKILL)
        _ = try await engine.finish()
        let gone = await ProcessProbe.wait(upTo: .seconds(5)) {
            ProcessProbe.processes(withEnvironment: marker.entry).isEmpty
        }
        #expect(gone, "left running: \(ProcessProbe.processes(withEnvironment: marker.entry))")
    }
}
