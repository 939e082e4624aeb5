import CRunbookSupport
import Foundation
import Synchronization

/// A command run to its end, with the guarantee that it never outlives the engine:
/// it runs in its own process group under a small supervisor process, and that group is
/// SIGKILLed when the calling task is cancelled, when the timeout passes, when the command
/// exits leaving background processes behind, and when the engine dies — even by SIGKILL.
/// (A process that leaves the group with `setsid`, or runs as another user, escapes.)
///
/// stdin is `/dev/null`; stdout and stderr are captured (up to `outputLimit` bytes each).
/// The blocking work happens on a dedicated thread, never on the cooperative pool.
public struct Subprocess: Sendable {
    /// The executable, by absolute path.
    public var executable: String
    /// argv, including argv[0].
    public var arguments: [String]
    /// The command's whole environment: nothing is inherited implicitly.
    public var environment: [String: String]
    /// Nil: the engine's working directory.
    public var workingDirectory: String?
    /// Nil: no limit.
    public var timeout: Duration?
    /// Bytes of stdout (the first ones) and of stderr (the last ones) to keep.
    public var outputLimit: Int

    public static let defaultOutputLimit = 1 << 20

    public init(executable: String, arguments: [String], environment: [String: String],
                workingDirectory: String? = nil, timeout: Duration? = nil, outputLimit: Int = Subprocess.defaultOutputLimit) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.outputLimit = outputLimit
    }

    /// `/bin/sh -c command`.
    public static func shell(_ command: String, environment: [String: String], workingDirectory: String? = nil,
                             timeout: Duration? = nil, outputLimit: Int = Subprocess.defaultOutputLimit) -> Subprocess {
        Subprocess(executable: "/bin/sh", arguments: ["sh", "-c", command], environment: environment,
                   workingDirectory: workingDirectory, timeout: timeout, outputLimit: outputLimit)
    }

    /// Runs the command and waits for it, whatever its exit status.
    ///
    /// Throws `SubprocessError` if it cannot start or times out, and `CancellationError` if
    /// the task is cancelled while it runs; in both cases only after its process group has
    /// been killed and the supervisor reaped.
    public func run() async throws -> SubprocessResult {
        try await run(onLaunch: nil)
    }

    /// `run()`, telling `onLaunch` (on the launching thread) about the supervised process as
    /// soon as it exists: tests use it to hand the lifeline to another process.
    func run(onLaunch: (@Sendable (SupervisedProcess) -> Void)?) async throws -> SubprocessResult {
        let environmentEntries = try checkedEnvironment()
        try checkArguments()
        if Task.isCancelled { throw CancellationError() }

        let control = LaunchControl()
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        let outcome: Result<SupervisedProcess.Outcome, SubprocessError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread { [self] in
                    do throws(SubprocessError) {
                        let process = try SupervisedProcess.launch(executable: executable, arguments: arguments,
                                                                   environment: environmentEntries,
                                                                   workingDirectory: workingDirectory)
                        onLaunch?(process)
                        control.started(process)
                        continuation.resume(returning: .success(process.waitForExit(deadline: deadline,
                                                                                    outputLimit: outputLimit)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
                thread.name = "runbook.subprocess"
                thread.start()
            }
        } onCancel: {
            control.cancel()
        }
        return try interpret(outcome.get())
    }

    private func interpret(_ outcome: SupervisedProcess.Outcome) throws -> SubprocessResult {
        if let failure = outcome.failure {
            switch failure.stage {
            case CRB_STAGE_CHDIR:
                throw SubprocessError.workingDirectory(path: workingDirectory ?? ".", errno: failure.errno)
            case CRB_STAGE_EXEC:
                throw SubprocessError.cannotExecute(path: executable, errno: failure.errno)
            default:
                throw SubprocessError.cannotStart(errno: failure.errno)
            }
        }
        guard let status = outcome.status else {
            if outcome.timedOut, let timeout {
                throw SubprocessError.timedOut(after: timeout, partial: SubprocessResult(
                    status: .signaled(SIGKILL), stdout: outcome.stdout, stderr: outcome.stderr))
            }
            if Task.isCancelled { throw CancellationError() }
            throw SubprocessError.supervisorDied(outcome.supervisorStatus.map(\.description) ?? "unknown status")
        }
        let result = SubprocessResult(status: status, stdout: outcome.stdout, stderr: outcome.stderr,
                                      killedLeftovers: outcome.flags & CRB_FLAG_LEFTOVERS_KILLED != 0,
                                      groupLingered: outcome.flags & CRB_FLAG_GROUP_LINGERED != 0)
        // Killed through the lifeline: by our timeout, else by cancellation. A command that
        // finished before either took effect keeps its result.
        if outcome.wasKilledByLifeline {
            if outcome.timedOut, let timeout { throw SubprocessError.timedOut(after: timeout, partial: result) }
            throw CancellationError()
        }
        return result
    }

    /// `NAME=value` entries, sorted for reproducibility. Names and values are checked, but
    /// only names appear in messages: values may be secrets.
    private func checkedEnvironment() throws(SubprocessError) -> [String] {
        try environment.sorted { $0.key < $1.key }.map { name, value throws(SubprocessError) in
            if name.isEmpty || name.contains("=") || CStringArray.containsNUL(name) {
                throw .invalidInput("invalid environment variable name '\(name)'")
            }
            if CStringArray.containsNUL(value) {
                throw .invalidInput("environment variable '\(name)' contains a NUL byte")
            }
            return "\(name)=\(value)"
        }
    }

    private func checkArguments() throws(SubprocessError) {
        if CStringArray.containsNUL(executable) { throw .invalidInput("the executable path contains a NUL byte") }
        if arguments.isEmpty { throw .invalidInput("no argv[0]") }
        for (index, argument) in arguments.enumerated() where CStringArray.containsNUL(argument) {
            throw .invalidInput("argument \(index) contains a NUL byte")
        }
        if let workingDirectory, CStringArray.containsNUL(workingDirectory) {
            throw .invalidInput("the working directory contains a NUL byte")
        }
    }
}

/// Connects task cancellation, which may come at any moment from any thread, to a launch
/// happening on another thread: a cancel that arrives before the process exists kills it
/// as soon as it does.
private final class LaunchControl: Sendable {
    private struct State {
        var process: SupervisedProcess?
        var isCancelled = false
    }
    private let state = Mutex(State())

    func started(_ process: SupervisedProcess) {
        let cancelled = state.withLock { state in
            state.process = process
            return state.isCancelled
        }
        if cancelled { process.closeLifeline() }
    }

    func cancel() {
        let process = state.withLock { state in
            state.isCancelled = true
            return state.process
        }
        process?.closeLifeline()
    }
}
