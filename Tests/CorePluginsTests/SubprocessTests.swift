@testable import CorePlugins
import Foundation
import Synchronization
import Testing
import TestSupport

/// `Subprocess` with real processes: capture, environment, exit statuses, and above all
/// that a command's whole process group dies on timeout, cancellation, exit and engine death.
@Suite(.timeLimit(.minutes(1))) struct SubprocessTests {
    static let path = ["PATH": "/usr/local/bin:/usr/bin:/bin"]

    @Test func capturesStdoutStderrAndTheExitCode() async throws {
        let result = try await Subprocess.shell("echo out; echo err >&2; exit 3", environment: Self.path).run()
        #expect(result.status == .exited(3))
        #expect(result.status.code == 3)
        #expect(result.stdout.text == "out\n")
        #expect(result.stderr.text == "err\n")
        #expect(!result.killedLeftovers)
    }

    @Test func passesExactlyTheGivenEnvironmentAndWorkingDirectory() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = Self.path.merging(["GREETING": "hello world"]) { $1 }
        let result = try await Subprocess.shell("pwd -P; echo \"$GREETING\"; echo \"${HOME-unset}\"",
                                                environment: environment, workingDirectory: directory).run()
        let expected = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        #expect(result.stdout.text == "\(expected)\nhello world\nunset\n")
    }

    @Test func stdinIsDevNull() async throws {
        let result = try await Subprocess.shell("cat; echo done", environment: Self.path).run()
        #expect(result.stdout.text == "done\n")
    }

    @Test func reportsDeathBySignal() async throws {
        let result = try await Subprocess.shell("kill -TERM $$; sleep 5", environment: Self.path).run()
        #expect(result.status == .signaled(SIGTERM))
        #expect(result.status.code == 143)
    }

    /// The engine ignores SIGINT/SIGTERM (its own handlers decide); ignored dispositions
    /// survive exec, so the supervisor must give the command the defaults back.
    @Test func commandGetsDefaultSignalDispositions() async throws {
        let previous = signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, previous) }
        let result = try await Subprocess.shell("kill -INT $$; echo survived", environment: Self.path).run()
        #expect(result.status == .signaled(SIGINT))
    }

    /// 3 MiB on each stream, interleaved in 64 KiB blocks: reading one pipe after the other
    /// would deadlock on the first full pipe. Each keeps 1 MiB and counts the rest.
    @Test func drainsBothStreamsAtOnceAndCapsWhatItKeeps() async throws {
        let command = """
            i=0; while [ $i -lt 48 ]; do head -c 65536 /dev/zero; head -c 65536 /dev/zero >&2; i=$((i+1)); done
            """
        let limit = 1 << 20
        let result = try await Subprocess.shell(command, environment: Self.path, outputLimit: limit).run()
        #expect(result.status == .exited(0))
        #expect(result.stdout.bytes.count == limit)
        #expect(result.stdout.droppedByteCount == 3 * limit - limit)
        #expect(result.stdout.isTruncated)
        #expect(result.stderr.bytes.count == limit)
        #expect(result.stderr.droppedByteCount == 3 * limit - limit)
    }

    @Test func stderrKeepsItsEnd() async throws {
        let result = try await Subprocess.shell("echo first >&2; head -c 5000 /dev/zero >&2; echo last >&2",
                                                environment: Self.path, outputLimit: 100).run()
        #expect(result.stderr.bytes.count == 100)
        #expect(result.stderr.text.hasSuffix("last\n"))
        #expect(!result.stderr.text.contains("first"))
    }

    /// A background process holding stdout would otherwise keep the step waiting for 300 s.
    @Test func killsWhatTheCommandLeftRunning() async throws {
        let began = ContinuousClock.now
        let result = try await Subprocess.shell("sleep 300 & echo $!", environment: Self.path).run()
        #expect(began.duration(to: .now) < .seconds(10))
        #expect(result.status == .exited(0))
        #expect(result.killedLeftovers)
        let pids = ProcessProbe.pids(in: result.stdout.text)
        #expect(pids.count == 1)
        #expect(pids.allSatisfy { !ProcessProbe.isAlive($0) })
    }

    @Test func timeoutKillsTheCommandAndItsChildren() async throws {
        let marker = ProcessProbe.newMarker()
        let environment = Self.path.merging([marker.name: marker.value]) { $1 }
        let began = ContinuousClock.now
        let error = await #expect(throws: SubprocessError.self) {
            try await Subprocess.shell("sleep 300 & echo $!; sleep 300", environment: environment,
                                       timeout: .milliseconds(500)).run()
        }
        #expect(began.duration(to: .now) < .seconds(10))
        guard case .timedOut(let limit, let partial) = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(limit == .milliseconds(500))
        #expect(error?.description.contains("timed out after") == true)
        // What it wrote before the timeout is kept; the child it names is dead, and so is
        // everything else that carried the marker: `run` returns only once the group is gone.
        let pids = ProcessProbe.pids(in: partial.stdout.text)
        #expect(pids.count == 1)
        #expect(pids.allSatisfy { !ProcessProbe.isAlive($0) })
        #expect(ProcessProbe.processes(withEnvironment: marker.entry).isEmpty)
    }

    @Test func cancellationKillsTheWholeProcessGroup() async throws {
        let marker = ProcessProbe.newMarker()
        let environment = Self.path.merging([marker.name: marker.value]) { $1 }
        let task = Task {
            try await Subprocess.shell("sleep 300 & sleep 300 & wait", environment: environment).run()
        }
        // sh and its two sleeps.
        let started = await ProcessProbe.wait(upTo: .seconds(10)) {
            ProcessProbe.processes(withEnvironment: marker.entry).count >= 3
        }
        #expect(started)
        let began = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(began.duration(to: .now) < .seconds(5))
        #expect(ProcessProbe.processes(withEnvironment: marker.entry).isEmpty)
    }

    @Test func cancelledBeforeStartingRunsNothing() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await Subprocess.shell("touch ran", environment: Self.path, workingDirectory: directory).run()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(!FileManager.default.fileExists(atPath: directory + "/ran"))
    }

    /// The kill -9 guarantee, at this layer. The engine's only hold on a command is the
    /// lifeline's write end. Here a separate process (`holder`) takes over the lifelines of
    /// two running commands, and the test closes its own copies, so `holder` is the engine as
    /// far as the commands can tell. SIGKILLing it — no cleanup code runs anywhere — must
    /// kill both commands and their background children.
    ///
    /// Both commands are launched while this process holds both lifelines, so the second
    /// supervisor was forked holding a copy of the first lifeline: had it not closed it, the
    /// first command would outlive the holder (and, in the engine, the engine).
    @Test func deathOfTheLifelineHolderKillsEveryGroup() async throws {
        let marker = ProcessProbe.newMarker()
        let environment = Self.path.merging([marker.name: marker.value]) { $1 }
        let launched = LaunchLog()
        let command = Subprocess.shell("sleep 300 & sleep 300", environment: environment)
        let first = Task { try await command.run { process in launched.append(process) } }
        let second = Task { try await command.run { process in launched.append(process) } }

        // Two shells, each with a background sleep and a foreground one (or exec'd into it).
        let running = await ProcessProbe.wait(upTo: .seconds(10)) {
            launched.all.count == 2 && ProcessProbe.processes(withEnvironment: marker.entry).count >= 4
        }
        try #require(running)
        let processes = launched.all
        let lifelines = processes.compactMap { $0.duplicateLifeline() }
        try #require(lifelines.count == 2)
        let holder = try spawnHolder(keeping: lifelines)
        for fd in lifelines { close(fd) }
        for process in processes { process.closeLifeline() }

        // Our ends are closed, yet the commands run on: the holder keeps them alive.
        try await Task.sleep(for: .milliseconds(300))
        #expect(ProcessProbe.processes(withEnvironment: marker.entry).count >= 4)

        kill(holder, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(holder, &status, 0)

        await #expect(throws: CancellationError.self) { try await first.value }
        await #expect(throws: CancellationError.self) { try await second.value }
        let gone = await ProcessProbe.wait(upTo: .seconds(5)) {
            ProcessProbe.processes(withEnvironment: marker.entry).isEmpty
        }
        #expect(gone)
    }

    /// Twelve commands that each wait for the others to start, on a two-core machine: if
    /// waiting for a command blocked a cooperative thread, only a couple would ever start
    /// and the group would never be released.
    @Test func waitingDoesNotBlockTheCooperativePool() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pool-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let count = 12
        try await withThrowingTaskGroup(of: ExitStatus.self) { group in
            for i in 0..<count {
                group.addTask {
                    // Gives up after 60 s so a blocked pool fails the test instead of hanging it.
                    let command = "touch \(directory)/started.\(i); n=0; while [ ! -f \(directory)/go ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done; test -f \(directory)/go"
                    return try await Subprocess.shell(command, environment: Self.path).run().status
                }
            }
            let allStarted = await ProcessProbe.wait(upTo: .seconds(60)) {
                ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("started.") }.count == count
            }
            #expect(allStarted, "all \(count) commands run at once")
            _ = FileManager.default.createFile(atPath: "\(directory)/go", contents: nil)
            for try await status in group { #expect(status == .exited(0)) }
        }
    }

    @Test func aMissingWorkingDirectoryIsALaunchError() async throws {
        let error = await #expect(throws: SubprocessError.self) {
            try await Subprocess.shell("true", environment: Self.path, workingDirectory: "/nonexistent/runbook-test").run()
        }
        #expect(error == .workingDirectory(path: "/nonexistent/runbook-test", errno: ENOENT))
        #expect(error?.description == "cannot enter working directory /nonexistent/runbook-test: No such file or directory")
    }

    @Test func aMissingExecutableIsALaunchError() async throws {
        let error = await #expect(throws: SubprocessError.self) {
            try await Subprocess(executable: "/nonexistent/tool", arguments: ["tool"], environment: [:]).run()
        }
        #expect(error == .cannotExecute(path: "/nonexistent/tool", errno: ENOENT))
    }

    @Test func badEnvironmentIsRejectedWithoutItsValue() async throws {
        let error = await #expect(throws: SubprocessError.self) {
            try await Subprocess.shell("true", environment: ["TOKEN": "s3cr3t\0value"]).run()
        }
        #expect(error?.description == "environment variable 'TOKEN' contains a NUL byte")
        await #expect(throws: SubprocessError.invalidInput("invalid environment variable name 'A=B'")) {
            try await Subprocess.shell("true", environment: ["A=B": "x"]).run()
        }
    }

    // MARK: - Helpers

    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "runbook-subprocess-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts `sleep 300` holding `descriptors` as its stdout and stderr: a stand-in engine.
    private func spawnHolder(keeping descriptors: [Int32]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (index, fd) in descriptors.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, Int32(1 + index))
        }
        guard let argv = CStringArray(["sh", "-c", "exec sleep 300"]),
              let envp = CStringArray(["PATH=/usr/local/bin:/usr/bin:/bin"]) else {
            throw HolderError(code: ENOMEM)
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, nil, argv.pointer, envp.pointer)
        guard status == 0 else { throw HolderError(code: status) }
        return pid
    }

    private struct HolderError: Error {
        var code: Int32
    }

    private final class LaunchLog: Sendable {
        private let processes = Mutex<[SupervisedProcess]>([])
        func append(_ process: SupervisedProcess) { processes.withLock { $0.append(process) } }
        var all: [SupervisedProcess] { processes.withLock { $0 } }
    }
}
