/// How a command ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this code.
    case exited(Int32)
    /// It was killed by this signal.
    case signaled(Int32)

    /// The shell's convention: the exit code, or 128 + the signal.
    public var code: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    public var isSuccess: Bool { self == .exited(0) }

    /// `exit status 3`, `killed by SIGTERM`.
    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "killed by \(Self.signalName(signal))"
        }
    }

    /// Names of the signals a command commonly dies of; the number otherwise.
    /// (strsignal is neither portable in wording nor thread-safe everywhere.)
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL",
            11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}

/// What a command wrote to one stream, up to a limit.
public struct CapturedOutput: Sendable, Hashable {
    /// The bytes kept: the first `limit` bytes of stdout, the last `limit` of stderr.
    public var bytes: [UInt8]
    /// How many bytes were written beyond the limit and not kept.
    public var droppedByteCount: Int

    public init(bytes: [UInt8] = [], droppedByteCount: Int = 0) {
        self.bytes = bytes
        self.droppedByteCount = droppedByteCount
    }

    public var isTruncated: Bool { droppedByteCount > 0 }

    /// The bytes as UTF-8, invalid sequences replaced.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A command that ran to its end.
public struct SubprocessResult: Sendable, Hashable {
    public var status: ExitStatus
    /// The first `outputLimit` bytes of stdout.
    public var stdout: CapturedOutput
    /// The last `outputLimit` bytes of stderr (the end is where the error usually is).
    public var stderr: CapturedOutput
    /// The command exited but left processes running in its process group; they were killed.
    public var killedLeftovers: Bool
    /// Some process of the group could not be killed (it changed user, e.g. under sudo).
    public var groupLingered: Bool

    public init(status: ExitStatus, stdout: CapturedOutput = CapturedOutput(), stderr: CapturedOutput = CapturedOutput(),
                killedLeftovers: Bool = false, groupLingered: Bool = false) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.killedLeftovers = killedLeftovers
        self.groupLingered = groupLingered
    }
}
