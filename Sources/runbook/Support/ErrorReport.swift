import ArgumentParser
import Foundation
import RunbookKit

/// Prints an error as one clear message on stderr and picks its exit code.
enum ErrorReport {
    static func report(_ error: Error) -> Int32 {
        switch error {
        case let error as EngineError:
            return report(engine: error)
        case let error as ValidationFailure:
            Terminal.error(error.diagnostics.map { $0.description })
            return CommandExit.invalidInput.status
        case let error as LocatorError:
            Terminal.error([error.description])
            return CommandExit.invalidInput.status
        case let error as StoreError:
            return report(store: error)
        case let error as SecretError:
            Terminal.error([error.description])
            return CommandExit.invalidInput.status
        case let error as UsageError:
            Terminal.error([error.message])
            return CommandExit.invalidInput.status
        default:
            // Argument parsing: help and version exit 0; every usage error is exit 2.
            let code = RunbookCommand.exitCode(for: error)
            let message = RunbookCommand.fullMessage(for: error)
            if code == .success {
                Terminal.out(message)
                return 0
            }
            if !message.isEmpty { Terminal.errorRaw(message) }
            return CommandExit.invalidInput.status
        }
    }

    private static func report(engine error: EngineError) -> Int32 {
        switch error {
        case .invalid(let validation):
            Terminal.error(validation.diagnostics.map { $0.description })
            return CommandExit.invalidInput.status
        case .store(let store):
            return report(store: store)
        case .blocked:
            Terminal.error([error.description])
            return CommandExit.runFailed.status
        case .wrongState:
            Terminal.error([error.description])
            return CommandExit.invalidInput.status
        }
    }

    private static func report(store error: StoreError) -> Int32 {
        Terminal.error([error.description])
        switch error {
        case .leaseHeld: return CommandExit.leaseHeld.status
        case .leaseLost, .database: return CommandExit.runFailed.status
        default: return CommandExit.invalidInput.status
        }
    }
}

/// Invalid use the parser cannot see (a bad combination of arguments).
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
