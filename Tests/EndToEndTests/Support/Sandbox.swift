import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A private world for one end-to-end test: a temp directory with `runbooks/`, a
/// `RUNBOOK_HOME`, and the built `runbook` binary run as a real process.
final class Sandbox: @unchecked Sendable {
    let root: URL
    var home: String { root.appendingPathComponent("home").path }
    var runbooks: URL { root.appendingPathComponent("runbooks") }
    /// Environment every command gets, on top of PATH and HOME.
    var environment: [String: String]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("runbook-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("runbooks"), withIntermediateDirectories: true)
        environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": root.path,
            "RUNBOOK_HOME": root.appendingPathComponent("home").path,
            "NO_COLOR": "1",
        ]
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The `runbook` executable built next to this test bundle.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["RUNBOOK_BIN"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("runbook").path
    }()

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    @discardableResult
    func write(_ relative: String, _ text: String, mode: Int = 0o644) throws -> String {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        chmod(url.path, mode_t(mode))
        return url.path
    }

    func writeRunbook(_ name: String, _ yaml: String) throws {
        try write("runbooks/\(name).yaml", yaml)
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path(relative)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// How many runs the store holds (0 when there is no store at all).
    func runCount() async throws -> Int {
        let runs = try await run("runs", "--output", "json")
        return ((try? runs.json()) as? [Any])?.count ?? 0
    }

    /// Runs `runbook ARGS...` to completion.
    func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> CommandResult {
        let process = try start(arguments, environment: extra)
        return try await process.finish(timeout: timeout)
    }

    func run(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> CommandResult {
        try await run(arguments, environment: extra)
    }

    /// Starts `runbook ARGS...` without waiting.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> RunningCommand {
        try RunningCommand(executable: Self.binary, arguments: arguments, environment: environment.merging(extra) { $1 },
                           directory: root, outputDirectory: root.appendingPathComponent(".out-\(UUID().uuidString.prefix(8))"))
    }

    /// Every file under `relative` with its bytes and mode: to compare the world before and after.
    func snapshot(_ relative: String) -> [String: FileState] {
        var result: [String: FileState] = [:]
        let base = root.appendingPathComponent(relative)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return result }
        for case let item as String in enumerator {
            let full = base.appendingPathComponent(item).path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let data = (info.st_mode & S_IFMT) == S_IFREG ? FileManager.default.contents(atPath: full) : nil
            result[item] = FileState(data: data, mode: Int(info.st_mode & 0o7777))
        }
        return result
    }
}

struct FileState: Equatable, CustomStringConvertible {
    var data: Data?
    var mode: Int
    var description: String { "\(data.map { String(decoding: $0, as: UTF8.self).debugDescription } ?? "dir") mode \(String(mode, radix: 8))" }
}

/// What a finished command did.
struct CommandResult: CustomStringConvertible {
    var status: Int32
    /// True when the process was killed by a signal; `status` is then the signal number.
    var signaled: Bool
    var stdout: String
    var stderr: String

    var description: String { "exit \(signaled ? "signal " : "")\(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }

    /// Parses stdout as JSON.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }

    var output: String { stdout + stderr }
}

/// A `runbook` process started by a test. Output goes to files, so a chatty process never
/// blocks on a full pipe.
final class RunningCommand: @unchecked Sendable {
    let process = Process()
    private let stdoutURL: URL
    private let stderrURL: URL
    private let exited: AsyncStream<Void>
    private let exitContinuation: AsyncStream<Void>.Continuation

    init(executable: String, arguments: [String], environment: [String: String], directory: URL, outputDirectory: URL) throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        stdoutURL = outputDirectory.appendingPathComponent("stdout")
        stderrURL = outputDirectory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        (exited, exitContinuation) = AsyncStream<Void>.makeStream()
        let continuation = exitContinuation
        process.terminationHandler = { _ in
            continuation.yield()
            continuation.finish()
        }
        try ProcessRunner.launch(process)
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Current stdout and stderr, while it runs.
    var stdoutSoFar: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits for exit; kills the process if it outlives `timeout`.
    func finish(timeout: Duration = .seconds(120)) async throws -> CommandResult {
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        for await _ in exited {}
        watchdog.cancel()
        let stdout = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        return CommandResult(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                             stdout: stdout, stderr: stderr)
    }

    /// Polls until `condition` holds or `timeout` passes.
    func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw SandboxError.timeout }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

enum SandboxError: Error {
    case timeout
}
