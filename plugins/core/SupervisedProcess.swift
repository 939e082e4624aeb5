import CRunbookSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One command running under a supervisor process (`CRunbookSupervisor.h`): its process
/// group dies when the lifeline is closed, by `closeLifeline()` or by the engine dying.
///
/// `launch` and `waitForExit` block; call them on a dedicated thread, never on the
/// cooperative pool. `closeLifeline` may be called from any thread at any time.
final class SupervisedProcess: Sendable {
    let supervisorPID: pid_t
    /// The write end of the lifeline, -1 once closed. Behind a lock so cancellation (any
    /// thread) and the waiting thread never close it twice: a second close could hit an
    /// unrelated descriptor that reused the number.
    private let lifeline: Mutex<Int32>
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private let reportFD: Int32

    /// How long to keep reading stdout/stderr after the supervisor has exited. Its group is
    /// dead by then, so the pipes hold only what is left to read; a writer still holding
    /// them escaped the group (setsid) and is not waited for.
    static let drainGrace: Duration = .milliseconds(500)

    private init(_ process: crb_supervised_process) {
        supervisorPID = process.supervisor_pid
        lifeline = Mutex(process.lifeline_fd)
        stdoutFD = process.stdout_fd
        stderrFD = process.stderr_fd
        reportFD = process.report_fd
    }

    /// Starts `executable` with exactly `arguments` (argv, including argv[0]) and
    /// `environment` (`NAME=value` entries) in `workingDirectory` (nil: the engine's).
    static func launch(executable: String, arguments: [String], environment: [String],
                       workingDirectory: String?) throws(SubprocessError) -> SupervisedProcess {
        guard let argv = CStringArray(arguments), let envp = CStringArray(environment) else {
            throw .cannotStart(errno: ENOMEM)
        }
        var request = crb_spawn_request()
        var process = crb_supervised_process()
        let status: Int32 = executable.withCString { path in
            request.path = path
            request.argv = UnsafePointer(argv.pointer)
            request.envp = UnsafePointer(envp.pointer)
            guard let workingDirectory else {
                request.working_directory = nil
                return crb_spawn_supervised(&request, &process)
            }
            return workingDirectory.withCString { directory in
                request.working_directory = directory
                return crb_spawn_supervised(&request, &process)
            }
        }
        // The child has its own copy of the memory by now; argv and envp can go.
        withExtendedLifetime((argv, envp)) {}
        guard status == 0 else { throw .cannotStart(errno: status) }
        return SupervisedProcess(process)
    }

    /// Closes the engine's end of the lifeline: the supervisor kills the command's whole
    /// process group (if it is still running) and exits. Idempotent.
    func closeLifeline() {
        let fd = lifeline.withLock { fd -> Int32 in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
    }

    /// A duplicate of the lifeline's write end, for tests that hand the lifeline to another
    /// process and kill that process to play the engine dying. Nil once closed.
    func duplicateLifeline() -> Int32? {
        lifeline.withLock { fd in
            // Close-on-exec, so no process another thread spawns meanwhile inherits it.
            guard fd >= 0 else { return nil }
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
            return copy >= 0 ? copy : nil
        }
    }

    /// How the supervisor's run ended, as the report pipe told it.
    struct Outcome: Sendable {
        /// The command's process group, once started.
        var processGroup: pid_t?
        /// Exit or signal, from the supervisor's final report; nil if it never reported.
        var status: ExitStatus?
        var flags: Int32 = 0
        /// Set when the supervisor could not start the command: (stage, errno).
        var failure: (stage: Int32, errno: Int32)?
        var stdout = CapturedOutput()
        var stderr = CapturedOutput()
        /// The deadline passed and the lifeline was closed for it.
        var timedOut = false
        /// How the supervisor process itself ended (`waitpid`).
        var supervisorStatus: ExitStatus?

        var wasKilledByLifeline: Bool { flags & CRB_FLAG_LIFELINE_LOST != 0 }
    }

    /// Blocks until the supervisor has exited, reading stdout and stderr as they come (both
    /// at once, so neither pipe fills and stalls the command), and closing the lifeline if
    /// `deadline` passes. Reaps the supervisor and closes every descriptor. Call once.
    func waitForExit(deadline: ContinuousClock.Instant?, outputLimit: Int) -> Outcome {
        var outcome = Outcome()
        var stdout = OutputBuffer(limit: outputLimit, keep: .head)
        var stderr = OutputBuffer(limit: outputLimit, keep: .tail)
        var reports = ReportDecoder()
        var open = (stdout: true, stderr: true, report: true)
        var drainUntil: ContinuousClock.Instant?
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }

        while open.report || ((open.stdout || open.stderr) && drainUntil.map { ContinuousClock.now < $0 } ?? true) {
            var wait: Duration?
            if let drainUntil { wait = ContinuousClock.now.duration(to: drainUntil) }
            if !outcome.timedOut, let deadline {
                let left = ContinuousClock.now.duration(to: deadline)
                if left <= .zero {
                    outcome.timedOut = true
                    closeLifeline()
                    continue
                }
                wait = min(wait ?? left, left)
            }
            var fds = [
                pollfd(fd: open.stdout ? stdoutFD : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.stderr ? stderrFD : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.report ? reportFD : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), Self.milliseconds(wait))
            if ready < 0 {
                if errno == EINTR { continue }
                // Cannot wait on the pipes any more: kill the command rather than leave it
                // unwatched, and go on to reap the supervisor.
                closeLifeline()
                break
            }
            if fds[0].revents != 0, !readAvailable(stdoutFD, into: chunk, { stdout.append($0) }) { open.stdout = false }
            if fds[1].revents != 0, !readAvailable(stderrFD, into: chunk, { stderr.append($0) }) { open.stderr = false }
            if fds[2].revents != 0, !readAvailable(reportFD, into: chunk, { reports.append($0) }) {
                open.report = false
                drainUntil = ContinuousClock.now.advanced(by: Self.drainGrace)
            }
        }
        close(stdoutFD)
        close(stderrFD)
        close(reportFD)

        outcome.supervisorStatus = reap()
        // The engine's end is of no use once the supervisor is gone.
        closeLifeline()

        for report in reports.records {
            switch report.kind {
            case CRB_REPORT_STARTED:
                outcome.processGroup = report.value
            case CRB_REPORT_EXITED:
                outcome.status = .exited(report.value)
                outcome.flags = report.flags
            case CRB_REPORT_SIGNALED:
                outcome.status = .signaled(report.value)
                outcome.flags = report.flags
            case CRB_REPORT_FAILED:
                outcome.failure = (report.value, report.error)
            default:
                break
            }
        }
        if outcome.status == nil, let group = outcome.processGroup {
            // The supervisor died without reporting, so nobody killed the group. The pgid
            // cannot name another group while any process of ours is still in it, and if
            // it is empty this is a harmless ESRCH.
            kill(-group, SIGKILL)
        }
        outcome.stdout = stdout.captured
        outcome.stderr = stderr.captured
        return outcome
    }

    /// Reads what is there. Returns false at end of file (or on an error, treated alike).
    private func readAvailable(_ fd: Int32, into chunk: UnsafeMutableRawBufferPointer,
                      _ consume: (UnsafeRawBufferPointer) -> Void) -> Bool {
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count > 0 {
                consume(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                return true
            }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN { return true }
            return false
        }
    }

    /// Waits for the supervisor process to exit (it has closed its report pipe, so it is
    /// exiting) and decodes its status.
    private func reap() -> ExitStatus? {
        var status: Int32 = 0
        while waitpid(supervisorPID, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        let code = crb_wait_exit_code(status)
        if code >= 0 { return .exited(code) }
        let signal = crb_wait_term_signal(status)
        return signal >= 0 ? .signaled(signal) : nil
    }

    /// A poll timeout in milliseconds, rounded up so the deadline has passed when it fires;
    /// -1 (wait indefinitely) for nil.
    private static func milliseconds(_ duration: Duration?) -> Int32 {
        guard let duration else { return -1 }
        if duration <= .zero { return 0 }
        let parts = duration.components
        let ms = parts.seconds * 1000 + (parts.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
