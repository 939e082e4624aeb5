@testable import CorePlugins
import Foundation
import RunbookKit
import Synchronization
import Testing
import TestSupport

/// `core.shell` against real commands in a scratch directory: what each phase runs (and
/// does not run), what it records, and what reaches error messages.
@Suite(.timeLimit(.minutes(1))) struct CoreShellTests {
    let plugin = CoreShell()

    @Test func declaresExactlyItsInputsAndOutputs() {
        #expect(CoreShell.id == "core.shell")
        #expect(CoreShell.inputs.fields.map(\.name) == ["run", "check", "undo", "env", "timeout"])
        #expect(CoreShell.inputs.fields.map(\.type) == [.string, .string, .string, .map, .duration])
        #expect(CoreShell.inputs.fields.filter(\.isRequired).map(\.name) == ["run"])
        #expect(CoreShell.outputs.fields.map(\.name) == ["stdout", "exit_code"])
        #expect(CoreShell.outputs.secretNames.isEmpty)
    }

    @Test func planRunsNothingNotEvenTheCheck() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "touch ran", "check": "touch checked", "undo": "touch undone"]
        let plan = try await plugin.plan(inputs, context: scratch.context(dryRun: true))
        #expect(plan.mark == .unchecked)
        #expect(plan.summary == "run: touch ran")
        #expect(plan.undo == "run: touch undone")
        #expect(plan.note == "check decides at run time whether to run it")
        #expect(scratch.files() == [])

        let unconditional = try await plugin.plan(["run": "touch ran"], context: scratch.context(dryRun: true))
        #expect(unconditional.mark == .create)
        #expect(unconditional.undo == nil)
        #expect(scratch.files() == [])
    }

    @Test func planSaysWhatIsDeferredAndHidesSecrets() async throws {
        let scratch = try Scratch()
        let deferred = Inputs(["run": "echo (make-key.id)"], deferred: ["run"])
        let plan = try await plugin.plan(deferred, context: scratch.context(dryRun: true))
        #expect(plan.mark == .unchecked)
        #expect(plan.note == "run depends on earlier steps' outputs")

        let secret = try await plugin.plan(["run": .secret(Secret("login --password hunter22"))], context: scratch.context())
        #expect(secret.summary == "run: [secret]")

        let multiline = try await plugin.plan(["run": "set -e\nmake\nmake install"], context: scratch.context())
        #expect(multiline.summary == "run: set -e …")
    }

    @Test func applyRunsTheCommandWithTheStepsEnvironmentInTheWorkingDirectory() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = [
            "run": "printf 'hello\\n\\n'; echo \"$GREETING|$RUNBOOK_RUN_ID|$RUNBOOK_INSTANCE|$FROM_ENGINE\" > env.txt; pwd -P >> env.txt",
            "env": ["GREETING": "hi there"],
        ]
        let outputs = try await plugin.apply(inputs, intent: [:], context: scratch.context())
        #expect(outputs["stdout"] == "hello")
        #expect(outputs["exit_code"] == 0)
        #expect(try scratch.read("env.txt") == "hi there|run-1|step|engine value\n\(scratch.resolvedPath)\n")
    }

    @Test func stdoutIsSecretWhenAnInputIs() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "echo \"$TOKEN\"", "env": ["TOKEN": .secret(Secret("tok-abcdef"))]]
        let outputs = try await plugin.apply(inputs, intent: [:], context: scratch.context())
        #expect(outputs["stdout"] == .secret(Secret("tok-abcdef")))
    }

    @Test func aNonZeroExitFailsWithTheCodeAndStderrButNoSecret() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = [
            "run": "echo starting; echo \"bad token $TOKEN\" >&2; echo 'giving up' >&2; exit 3",
            "env": ["TOKEN": .secret(Secret("tok-abcdef"))],
        ]
        let error = await #expect(throws: PluginError.self) {
            try await plugin.apply(inputs, intent: [:], context: scratch.context())
        }
        let message = error?.message ?? ""
        #expect(message == "run failed with exit status 3: bad token [secret] | giving up")
        #expect(!message.contains("tok-abcdef"))
    }

    @Test func observeRecordsWhetherTheEffectWasAlreadyThere() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "echo made > made", "check": "cat made"]
        #expect(try await plugin.observe(inputs, context: scratch.context()) == ["already": false])
        try scratch.write("made", "earlier\n")
        #expect(try await plugin.observe(inputs, context: scratch.context()) == ["already": true, "check_stdout": "earlier"])
        #expect(try await plugin.observe(["run": "true"], context: scratch.context()) == [:])
    }

    @Test func applyDoesNotRunWhenTheEffectWasAlreadyThere() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "touch ran", "check": "true"]
        let outputs = try await plugin.apply(inputs, intent: ["already": true, "check_stdout": "seen"],
                                             context: scratch.context())
        #expect(outputs == ["stdout": "seen", "exit_code": 0])
        #expect(scratch.files() == [])
        #expect(scratch.notes().contains { $0.contains("run not executed") })
    }

    @Test func reconcileAsksTheCheck() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "echo done > done", "check": "cat done"]
        guard case .notApplied = try await plugin.reconcile(inputs, intent: ["already": false], context: scratch.context()) else {
            Issue.record("expected not applied")
            return
        }
        try scratch.write("done", "done\n")
        guard case .applied(let outputs) = try await plugin.reconcile(inputs, intent: ["already": false],
                                                                      context: scratch.context()) else {
            Issue.record("expected applied")
            return
        }
        #expect(outputs == ["stdout": "done", "exit_code": 0])
        #expect(try scratch.read("done") == "done\n")
    }

    @Test func reconcileOfANoOpApplyRunsNothing() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "touch ran", "check": "touch checked"]
        guard case .applied(let outputs) = try await plugin.reconcile(inputs, intent: ["already": true, "check_stdout": "seen"],
                                                                      context: scratch.context()) else {
            Issue.record("expected applied")
            return
        }
        #expect(outputs == ["stdout": "seen", "exit_code": 0])
        #expect(scratch.files() == [])
    }

    @Test func reconcileWithoutCheckRunsAgainAndSaysSo() async throws {
        let scratch = try Scratch()
        guard case .notApplied = try await plugin.reconcile(["run": "touch ran"], intent: [:], context: scratch.context()) else {
            Issue.record("expected not applied")
            return
        }
        #expect(scratch.files() == [])
        #expect(scratch.notes().contains { $0.contains("no check") })
    }

    /// 126/127 mean the check could not run at all: that is not evidence the effect is
    /// missing, and concluding so would run `run` a second time.
    @Test func aBrokenCheckIsAnErrorNotEvidence() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "touch ran", "check": "no-such-command-for-runbook-tests"]
        let error = await #expect(throws: PluginError.self) {
            try await plugin.reconcile(inputs, intent: [:], context: scratch.context())
        }
        #expect(error?.message.hasPrefix("check failed with exit status 127") == true)
        await #expect(throws: PluginError.self) { try await plugin.observe(inputs, context: scratch.context()) }
        #expect(scratch.files() == [])
    }

    @Test func rollbackUndoesOnlyWhatTheRunDid() async throws {
        let scratch = try Scratch()
        let inputs: Inputs = ["run": "true", "check": "false", "undo": "echo x >> undone"]
        try await plugin.rollback(inputs, intent: ["already": true], outputs: [:], context: scratch.context())
        #expect(scratch.files() == [])
        #expect(scratch.notes().contains { $0.contains("nothing to undo") })

        try await plugin.rollback(inputs, intent: ["already": false], outputs: [:], context: scratch.context())
        #expect(try scratch.read("undone") == "x\n")

        try await plugin.rollback(["run": "true"], intent: [:], outputs: [:], context: scratch.context())
        #expect(scratch.files() == ["undone"])
    }

    @Test func aFailingUndoFailsTheRollback() async throws {
        let scratch = try Scratch()
        let error = await #expect(throws: PluginError.self) {
            try await plugin.rollback(["run": "true", "undo": "echo 'cannot remove' >&2; exit 1"], intent: [:],
                                      outputs: [:], context: scratch.context())
        }
        #expect(error?.message == "undo failed with exit status 1: cannot remove")
    }

    @Test func timeoutKillsTheCommandAndWhatItStarted() async throws {
        let scratch = try Scratch()
        let began = ContinuousClock.now
        let inputs: Inputs = ["run": "sleep 30 & echo $! > child; sleep 30", "timeout": "300ms"]
        let error = await #expect(throws: PluginError.self) {
            try await plugin.apply(inputs, intent: [:], context: scratch.context())
        }
        #expect(began.duration(to: .now) < .seconds(10))
        #expect(error?.message == "run: timed out after 300ms; the command and its processes were killed")
        let child = ProcessProbe.pids(in: try scratch.read("child"))
        #expect(child.count == 1)
        #expect(child.allSatisfy { !ProcessProbe.isAlive($0) })
    }

    @Test func cancellingTheStepKillsTheCommand() async throws {
        let scratch = try Scratch()
        let marker = ProcessProbe.newMarker()
        let context = scratch.context()
        let task = Task {
            try await CoreShell().apply(["run": "sleep 300 & sleep 300", "env": [marker.name: .string(marker.value)]],
                                        intent: [:], context: context)
        }
        let running = await ProcessProbe.wait(upTo: .seconds(10)) {
            ProcessProbe.processes(withEnvironment: marker.entry).count >= 2
        }
        #expect(running)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ProcessProbe.processes(withEnvironment: marker.entry).isEmpty)
    }

    @Test func validateReportsEachBadInput() {
        let problems = plugin.validate([
            "run": "  ",
            "env": ["A=B": "x", "LIST": [1, 2]],
            "timeout": "soon",
        ])
        #expect(Set(problems.map(\.description)) == [
            "input 'run': must not be empty",
            "input 'env': 'env.LIST' must be string, not list",
            "input 'timeout': timeout 'soon' is not a duration (30s, 5m, 500ms, or a number of seconds)",
        ])
        #expect(plugin.validate(["run": "true", "env": ["A=B": "x"]]).map(\.description)
            == ["input 'env': 'A=B' is not a valid environment variable name"])
        #expect(plugin.validate(["run": "true", "timeout": 0]).map(\.description)
            == ["input 'timeout': timeout must be more than zero"])
        #expect(plugin.validate(["run": "true", "timeout": "1.5", "env": ["LANG": "C", "N": 3]]).isEmpty)
    }

    @Test func numericTimeoutsAreSeconds() throws {
        #expect(try ShellInputs.timeout(["timeout": 2]) == .seconds(2))
        #expect(try ShellInputs.timeout(["timeout": .double(0.25)]) == .milliseconds(250))
        #expect(try ShellInputs.timeout(["timeout": "5m"]) == .seconds(300))
        #expect(try ShellInputs.timeout(["run": "true"]) == nil)
    }
}

/// A scratch directory to run commands in, and a context pointing at it that keeps notes.
private final class Scratch: Sendable {
    let path: String
    private let noted = Mutex<[String]>([])

    init() throws {
        path = NSTemporaryDirectory() + "runbook-shell-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The directory as `pwd -P` prints it.
    var resolvedPath: String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }

    func context(dryRun: Bool = false) -> StepContext {
        StepContext(runID: "run-1", instance: "step", attempt: 1,
                    environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "FROM_ENGINE": "engine value"],
                    workingDirectory: path, isDryRun: dryRun,
                    note: { [weak self] text in self?.noted.withLock { $0.append(text) } })
    }

    func notes() -> [String] { noted.withLock { $0 } }

    func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path + "/" + name, encoding: .utf8) }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }
}
