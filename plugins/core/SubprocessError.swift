import RunbookKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a command did not run to its end. (Cancellation of the calling task is reported as
/// `CancellationError`, after the command's process group has been killed.)
///
/// Messages name paths and variable names, never environment values or the command text:
/// either may hold a secret.
public enum SubprocessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An argument, variable name or value cannot be passed to a process (a NUL byte, `=` in a name).
    case invalidInput(String)
    /// The engine could not create the pipes or the supervisor process.
    case cannotStart(errno: Int32)
    /// The working directory could not be entered.
    case workingDirectory(path: String, errno: Int32)
    /// The executable could not be run.
    case cannotExecute(path: String, errno: Int32)
    /// The command ran longer than allowed; its process group was killed. `partial` holds what
    /// it wrote until then.
    case timedOut(after: Duration, partial: SubprocessResult)
    /// The supervisor process died without reporting (someone killed it); the command's group
    /// was killed as a precaution.
    case supervisorDied(String)

    public var description: String {
        switch self {
        case .invalidInput(let problem):
            return problem
        case .cannotStart(let code):
            return "cannot start a process: \(Self.text(code))"
        case .workingDirectory(let path, let code):
            return "cannot enter working directory \(path): \(Self.text(code))"
        case .cannotExecute(let path, let code):
            return "cannot execute \(path): \(Self.text(code))"
        case .timedOut(let limit, _):
            return "timed out after \(limit.shortText); the command and its processes were killed"
        case .supervisorDied(let how):
            return "the process supervising the command died (\(how)); the command was killed"
        }
    }

    static func text(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return String(cString: message)
    }
}
