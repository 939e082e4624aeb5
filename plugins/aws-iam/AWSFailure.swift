import AWSKit
import RunbookKit

/// Turns AWS errors into messages an operator can act on.
enum AWSFailure {
    /// `AccessDenied` names the permission the caller lacks, so the operator can grant it
    /// and resume; everything else keeps AWS's code and message.
    static func describe(_ error: Error) -> PluginError {
        if let error = error as? AWSError {
            if error.isAccessDenied {
                let service = error.operation == "GetCallerIdentity" ? "sts" : "iam"
                return PluginError("\(error.description); the caller needs permission \(service):\(error.operation); grant it, then resume the run")
            }
            return PluginError(error.description)
        }
        if let error = error as? AWSConfigurationError {
            return PluginError("no usable AWS credentials: \(error)")
        }
        if let error = error as? PluginError { return error }
        return PluginError(String(describing: error))
    }

    /// Runs `body`, turning its errors into `PluginError`s (cancellation passes through).
    static func wrapping<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw describe(error)
        }
    }

    /// A plan that could not look at live state: blocked before a real run (it would fail),
    /// "not checked" in a dry run.
    static func unchecked(_ summary: String, undo: String?, because error: Error, context: StepContext) -> Plan {
        let reason = describe(error).message
        if context.isPreflight {
            return .blocked(summary, because: reason.split(separator: "\n").joined(separator: "; "))
        }
        // One line per step; `runbook doctor` tells the whole story of the credentials.
        let first = reason.split(separator: "\n").first.map(String.init) ?? reason
        return Plan(.unchecked, summary, note: "live state not checked: \(first.hasSuffix(";") ? String(first.dropLast()) : first)", undo: undo)
    }
}
