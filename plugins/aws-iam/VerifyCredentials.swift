import AWSKit
import RunbookKit

/// `aws.sts.verify-credentials`: proves the new key works, by calling
/// `sts:GetCallerIdentity` signed with it, and that it is the expected user's. A new key
/// takes seconds to work everywhere, so authentication failures are retried with backoff
/// until `timeout`. Changes nothing, so it has nothing to undo.
public struct VerifyCredentials: StepPlugin {
    public static let id = "aws.sts.verify-credentials"
    public static let summary = "Check that an access key works (sts:GetCallerIdentity), waiting for IAM to propagate it"
    public static let inputs = Schema([
        .required("access_key_id", .string, "The key's id"),
        .required("secret_access_key", .string, "The key's secret"),
        .optional("expected_arn", .string, "The ARN the key must belong to"),
        .optional("timeout", .duration, default: "60s", "How long to wait for the key to start working"),
    ])
    public static let outputs = OutputSchema([
        .init("arn", .string, "The caller's ARN"),
        .init("account", .string, "The AWS account"),
        .init("user_id", .string, "The caller's user id"),
    ])

    let session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        if !inputs.isDeferred("timeout"), (try? timeout(inputs)) == nil {
            return [InputProblem(input: "timeout", "must be a duration such as 60s")]
        }
        return []
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let expected = inputs.isDeferred("expected_arn") ? "the new user" : (try inputs.optionalString("expected_arn") ?? "its user")
        return Plan(.create, "verify the new key signs sts:GetCallerIdentity as \(expected) (waiting up to \(try timeout(inputs).shortText))")
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let credentials = AWSCredentials(accessKeyID: try inputs.string("access_key_id"),
                                         secretAccessKey: try inputs.string("secret_access_key"))
        let sts = try session.sts(context, credentials: credentials)
        let expected = try inputs.optionalString("expected_arn")
        let deadline = ContinuousClock.now + (try timeout(inputs))
        var delay: Duration = .milliseconds(500)
        var attempt = 1
        while true {
            do {
                let identity = try await sts.getCallerIdentity()
                if let expected, identity.arn != expected {
                    throw PluginError("the new key belongs to \(identity.arn), not \(expected)")
                }
                return ["arn": .string(identity.arn), "account": .string(identity.account), "user_id": .string(identity.userID)]
            } catch let error as AWSError where error.isAuthenticationFailure || error.isAccessDenied {
                // Not propagated yet: IAM says so with InvalidClientTokenId or SignatureDoesNotMatch.
                guard ContinuousClock.now + delay < deadline else {
                    throw PluginError("the new key still does not work after \(attempt) attempt(s): \(error.description)")
                }
                context.note("the new key is not accepted yet (\(error.code)); retrying in \(delay.shortText)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
                attempt += 1
            } catch let error as PluginError {
                throw error
            } catch {
                throw AWSFailure.describe(error)
            }
        }
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        .notApplied  // read-only: verify again
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}

    private func timeout(_ inputs: Inputs) throws -> Duration {
        let timeout = try inputs.duration("timeout") ?? .seconds(60)
        guard timeout > .zero else { throw PluginError("timeout must be more than zero") }
        return timeout
    }
}
