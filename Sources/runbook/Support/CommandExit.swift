/// Ends a command with an exit status, after it has printed what it needed to.
struct CommandExit: Error {
    var status: Int32

    static let success = CommandExit(status: 0)
    /// The run did not succeed.
    static let runFailed = CommandExit(status: 1)
    /// Usage, runbook, params, unknown run, unusable state.
    static let invalidInput = CommandExit(status: 2)
    /// The run is owned by another live process.
    static let leaseHeld = CommandExit(status: 3)

    /// 128 + the signal: 130 for SIGINT, 143 for SIGTERM.
    static func interrupted(by signal: Int32) -> CommandExit { CommandExit(status: 128 + signal) }
}
