import Foundation
import RunbookKit

/// `core.shell`: runs a command with `/bin/sh -c`.
///
///     - id: make-dir
///       uses: core.shell
///       with:
///         run: mkdir -p /srv/app && echo created
///         check: test -d /srv/app        # exit 0: the effect is already there
///         undo: rmdir /srv/app
///         env: { LANG: C }
///         timeout: 30s
///
/// **A command without `check` must be safe to run twice.** If the engine dies while `run`
/// is executing (or between its exit and the checkpoint), nothing tells whether it took
/// effect. With `check`, resume runs the check and settles the step without running `run`
/// again; without it, resume runs `run` again. (The alternative, refusing to settle, would
/// leave such a run stuck for good; re-running is what an operator would do by hand.)
///
/// Semantics:
/// - plan (dry-run) runs nothing, not even `check`: `+ run: CMD`, or `?` when a `check`
///   will decide at run time or the command depends on earlier steps' outputs.
/// - observe runs `check` (if any) and records in the intent whether the effect was
///   already there. If it was, apply does not run `run`, and its outputs are `check`'s.
/// - apply runs `run`; a non-zero exit fails the step with the exit status and the last
///   lines of its stderr (or stdout), secrets scrubbed.
/// - reconcile runs `check`: exit 0 settles as applied, 1–125 as not applied (apply again).
///   If the effect was there before the run, apply was a no-op: applied, nothing run.
/// - rollback runs `undo` — unless the effect was there before the run (never undo what
///   the run did not do). No `undo`: nothing to undo.
///
/// `check` exit codes: 0 there, 1–125 not there; 126/127 (cannot execute, not found) and
/// deaths by signal are errors, not evidence: a broken check must not cause a second run.
///
/// Every command gets the engine's environment, then `RUNBOOK_RUN_ID` and
/// `RUNBOOK_INSTANCE` (to name or tag what it creates), then the step's `env` (secrets
/// included: the step asked for them), and runs in the engine's working directory with
/// stdin from /dev/null. `timeout` applies to each command. A command never outlives its
/// step: its whole process group is killed when it times out, when the step is cancelled,
/// when the engine dies (even by SIGKILL), and when it exits leaving background processes.
/// Outputs: `stdout` (the first 1 MiB, trailing newlines removed; a secret if any input is
/// one) and `exit_code` (always 0: any other code fails the step).
public struct CoreShell: StepPlugin {
    public static let id = "core.shell"
    public static let summary = "run a shell command, with an optional check and undo"

    public static let inputs = Schema([
        .required("run", .string, "the command, run with /bin/sh -c; a non-zero exit fails the step"),
        .optional("check", .string,
                  "a command that exits 0 when the effect of run is already there: run is skipped, and resume settles an interrupted run without running it twice"),
        .optional("undo", .string, "the command that undoes run, for rollback"),
        .optional("env", .map, "extra environment variables for the commands"),
        .optional("timeout", .duration, "how long each command may run (30s, 5m, or seconds); then it and its processes are killed"),
    ])

    public static let outputs = OutputSchema([
        .init("stdout", .string, "what run printed on stdout (at most 1 MiB), trailing newlines removed"),
        .init("exit_code", .int, "run's exit code (0: any other fails the step)"),
    ])

    /// Intent fields.
    enum IntentKey {
        /// Whether `check` passed before the run: the effect was already there.
        static let already = "already"
        /// What that `check` printed, to serve as the step's outputs.
        static let checkStdout = "check_stdout"
    }

    public init() {}

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        ShellInputs.problems(inputs)
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let shell = try ShellInputs(inputs)
        let summary = "run: " + Self.display(inputs["run"], shell.run)
        let undo = shell.undo.map { "run: " + Self.display(inputs["undo"], $0) }
        let deferred = ["run", "check", "undo", "env"].filter { inputs.isDeferred($0) }
        if !deferred.isEmpty {
            return Plan(.unchecked, summary, note: "\(deferred.joined(separator: ", ")) depends on earlier steps' outputs",
                        undo: undo)
        }
        if shell.check != nil {
            return Plan(.unchecked, summary, note: "check decides at run time whether to run it", undo: undo)
        }
        return Plan(.create, summary, undo: undo)
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let shell = try ShellInputs(inputs)
        guard let check = shell.check else { return Intent([:]) }
        switch try await runCheck(check, shell, inputs, context: context) {
        case .some(let stdout):
            return Intent([IntentKey.already: true, IntentKey.checkStdout: stdout])
        case .none:
            return Intent([IntentKey.already: false])
        }
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let shell = try ShellInputs(inputs)
        if try intent.bool(IntentKey.already, default: false) {
            context.note("check passed before the run: the effect is already there, run not executed")
            return Self.outputs(stdout: intent[IntentKey.checkStdout] ?? "")
        }
        let result = try await execute(shell.run, role: "run", shell, inputs, context: context)
        guard result.status.isSuccess else {
            throw ShellFailure.error("run", result, redactor: Redactor(collecting: [.map(inputs.values)]))
        }
        return Self.outputs(stdout: Self.stdoutValue(result, shell))
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let shell = try ShellInputs(inputs)
        // The effect was there before: apply is a no-op that returns the check's output, so
        // whether it "happened" is moot, and answering as it would keeps the two consistent.
        if try intent.bool(IntentKey.already, default: false) {
            return .applied(Self.outputs(stdout: intent[IntentKey.checkStdout] ?? ""))
        }
        guard let check = shell.check else {
            context.note("no check: cannot tell whether run took effect before the interruption; running it again")
            return .notApplied
        }
        guard let stdout = try await runCheck(check, shell, inputs, context: context) else { return .notApplied }
        return .applied(Self.outputs(stdout: stdout))
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        if try intent.bool(IntentKey.already, default: false) {
            context.note("the effect was there before the run: nothing to undo")
            return
        }
        let shell = try ShellInputs(inputs)
        guard let undo = shell.undo else { return }
        let result = try await execute(undo, role: "undo", shell, inputs, context: context)
        guard result.status.isSuccess else {
            throw ShellFailure.error("undo", result, redactor: Redactor(collecting: [.map(inputs.values)]))
        }
    }

    // MARK: - Running commands

    /// Runs `check`: its stdout if it exited 0 (the effect is there), nil for 1–125 (it is
    /// not). Throws when the check itself could not run (126, 127, a signal, a timeout).
    private func runCheck(_ check: String, _ shell: ShellInputs, _ inputs: Inputs, context: StepContext) async throws -> Value? {
        let result = try await execute(check, role: "check", shell, inputs, context: context)
        switch result.status {
        case .exited(0):
            return Self.stdoutValue(result, shell)
        case .exited(let code) where code < 126:
            return nil
        default:
            throw ShellFailure.error("check", result, redactor: Redactor(collecting: [.map(inputs.values)]))
        }
    }

    /// Runs one of the step's commands to its end, whatever its exit status.
    private func execute(_ command: String, role: String, _ shell: ShellInputs, _ inputs: Inputs,
                         context: StepContext) async throws -> SubprocessResult {
        var environment = context.environment
        environment["RUNBOOK_RUN_ID"] = context.runID
        environment["RUNBOOK_INSTANCE"] = context.instance
        environment.merge(shell.env) { _, step in step }
        let result: SubprocessResult
        do {
            result = try await Subprocess.shell(command, environment: environment,
                                                workingDirectory: context.workingDirectory, timeout: shell.timeout).run()
        } catch let error as SubprocessError {
            throw ShellFailure.error(role, error, redactor: Redactor(collecting: [.map(inputs.values)]))
        }
        if result.stdout.isTruncated {
            context.note("\(role) printed more than \(Subprocess.defaultOutputLimit / 1024) KiB on stdout; kept the first \(Subprocess.defaultOutputLimit / 1024) KiB")
        }
        if result.killedLeftovers {
            context.note("\(role) left processes running in the background; they were killed (a command never outlives its step)")
        }
        if result.groupLingered {
            context.note("some processes \(role) started could not be killed (they run as another user)")
        }
        return result
    }

    // MARK: - Values

    private static func outputs(stdout: Value) -> Outputs {
        Outputs(["stdout": stdout, "exit_code": 0])
    }

    /// stdout without its trailing newlines (as `$(...)` does), a secret if the step's
    /// inputs hold one.
    private static func stdoutValue(_ result: SubprocessResult, _ shell: ShellInputs) -> Value {
        var text = result.stdout.text
        while text.last?.isNewline == true { text.removeLast() }
        return shell.isSensitive ? .secret(Secret(text)) : .string(text)
    }

    /// A command for a one-line plan: its first line (marked if more follow), shortened;
    /// `[secret]` if it is one.
    static func display(_ value: Value?, _ command: String) -> String {
        if case .secret? = value { return value?.displayText ?? "[secret]" }
        let lines = command.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var text = lines.first ?? ""
        if lines.count > 1 { text += " …" }
        if text.count > 100 { text = String(text.prefix(99)) + "…" }
        return text
    }
}
