import Foundation

/// What a finished (or killed) child process left behind.
public struct ProcessResult: Sendable {
    public let exitStatus: Int32
    public let standardOutput: String
    public let standardError: String
    /// The timeout expired and the process was killed.
    public let timedOut: Bool

    public var succeeded: Bool { exitStatus == 0 && !timedOut }
}

/// Runs a command to completion with a given environment, capturing its output, with a
/// timeout after which it is terminated (SIGTERM, then SIGKILL two seconds later).
///
/// The blocking work happens on a dedicated thread, so awaiting it never ties up Swift's
/// cooperative thread pool.
public enum ProcessRunner {
    public struct LaunchFailed: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - executable: an absolute path, or a name looked up in `PATH` (from `environment`
    ///     when given, else this process's).
    ///   - environment: the child's whole environment; nil inherits this process's.
    ///   - input: written to the child's standard input, which is then closed.
    public static func run(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String]? = nil,
        currentDirectory: URL? = nil,
        input: Data? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try runBlocking(executable, arguments, environment: environment,
                                    currentDirectory: currentDirectory, input: input, timeout: timeout)
                })
            }.start()
        }
    }

    /// The same, blocking the calling thread. Not for use on the cooperative pool.
    public static func runBlocking(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String]? = nil,
        currentDirectory: URL? = nil,
        input: Data? = nil,
        timeout: Duration = .seconds(120)
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable, environment: environment))
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let output = Pipe()
        let error = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try launch(process)

        // Drain both pipes concurrently, or a chatty child blocks on a full pipe.
        let collected = Collected()
        let readers = DispatchGroup()
        for (pipe, isError) in [(output, false), (error, true)] {
            readers.enter()
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(data, isError: isError)
                readers.leave()
            }.start()
        }
        if let input {
            try? standardInput.fileHandleForWriting.write(contentsOf: input)
        }
        try? standardInput.fileHandleForWriting.close()

        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem {
            guard process.isRunning else { return }
            collected.markTimedOut()
            kill(pid, SIGTERM)
            Thread.sleep(forTimeInterval: 2)
            if process.isRunning { kill(pid, SIGKILL) }
        }
        let (seconds, attoseconds) = timeout.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)),
            execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        readers.wait()

        return ProcessResult(exitStatus: process.terminationStatus,
                             standardOutput: String(decoding: collected.output, as: UTF8.self),
                             standardError: String(decoding: collected.error, as: UTF8.self),
                             timedOut: collected.timedOut)
    }

    /// Starts a process with no signal blocked. A child inherits the signal mask of the
    /// thread that spawns it, and threads of Swift's concurrency runtime block SIGTERM and
    /// others: a child started from one would ignore `terminate()`. The calling thread's
    /// mask is restored afterwards.
    public static func launch(_ process: Process) throws {
        var unblocked = sigset_t()
        var saved = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    /// An absolute path for a command name, searched in `PATH`.
    public static func resolve(_ executable: String, environment: [String: String]? = nil) throws -> String {
        if executable.contains("/") { return executable }
        let path = environment?["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw LaunchFailed(description: "\(executable) not found in PATH (\(path))")
    }
}

/// Output gathered by reader threads; the lock makes the hand-over safe.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var outputData = Data()
    private var errorData = Data()
    private var didTimeOut = false

    func set(_ data: Data, isError: Bool) {
        lock.withLock {
            if isError { errorData = data } else { outputData = data }
        }
    }

    func markTimedOut() {
        lock.withLock { didTimeOut = true }
    }

    var output: Data { lock.withLock { outputData } }
    var error: Data { lock.withLock { errorData } }
    var timedOut: Bool { lock.withLock { didTimeOut } }
}
