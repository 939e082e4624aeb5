import AWSKit
import RunbookKit

/// What `runbook doctor` found, as text or JSON. Neither report holds a secret: the access
/// key id arrives masked and the secret key is never read.
struct DoctorView {
    var aws: AWSDiagnosticsReport
    var state: StateDirectoryReport

    var isHealthy: Bool { aws.isHealthy && state.isHealthy }

    /// Why it is not healthy, one reason each: what goes after `runbook: error:`.
    var reasons: [String] {
        var reasons = aws.problems
        if let failure = aws.identityError {
            reasons.append("sts:GetCallerIdentity failed: \(failure.code): \(failure.message) (\(Self.context(of: failure)))")
        } else if aws.identity == nil, aws.problems.isEmpty {
            reasons.append("the caller's identity could not be checked")
        }
        return reasons + state.problems
    }

    // MARK: - Text

    func text(style: Style) -> [String] {
        var lines = [style.bold("AWS")]
        func fact(_ name: String, _ value: String) {
            let label = (name + ":").padding(toLength: 15, withPad: " ", startingAt: 0)
            lines.append("  \(label)\(value)")
        }
        fact("profile", aws.profile)
        if let source = aws.credentialSource {
            fact("credentials", "\(source), key \(aws.maskedAccessKeyID ?? "?")" + (aws.usesSessionToken ? ", with a session token" : ""))
        } else {
            fact("credentials", "none found")
        }
        fact("region", aws.region.map { "\($0) (\(aws.regionSource ?? "?"))" } ?? "unresolved")
        for endpoint in aws.endpoints {
            fact("endpoint \(endpoint.service)", "\(endpoint.url) (signed for \(endpoint.signingRegion); \(endpoint.source))")
        }
        if let maxAttempts = aws.maxAttempts { fact("max attempts", String(maxAttempts)) }
        if let caBundle = aws.caBundle { fact("CA bundle", caBundle) }
        if let proxy = aws.proxy { fact("proxy", proxy) }
        if let identity = aws.identity {
            fact("identity", "\(identity.arn) (account \(identity.account), user id \(identity.userID))")
        } else if let failure = aws.identityError {
            fact("identity", "check failed: \(failure.code)")
        } else {
            fact("identity", "not checked")
        }

        lines.append(style.bold("state directory"))
        if !state.exists {
            fact("path", "\(state.path) (does not exist yet: created with mode 0700 on first use)")
        } else {
            fact("path", state.path + (state.mode.map { " (mode \(StateDirectoryReport.octal($0)))" } ?? ""))
        }
        fact("secret key", describe(state.secretKey, missing: "none yet (created on first use)")
             + (state.secretKeyInHome ? "" : " (RUNBOOK_SECRET_KEY_FILE)"))
        fact("database", describe(state.database, missing: "none yet"))

        for warning in state.warnings { lines.append("warning: \(warning)") }
        if isHealthy { lines.append("all is well") }
        return lines
    }

    private func describe(_ file: StateDirectoryReport.File, missing: String) -> String {
        guard file.exists else { return "\(file.path): \(missing)" }
        return file.path + (file.mode.map { " (mode \(StateDirectoryReport.octal($0)))" } ?? "")
    }

    /// `HTTP 403, request id X, 1 attempt`.
    private static func context(of failure: AWSDiagnosticsReport.Failure) -> String {
        var parts: [String] = []
        if let status = failure.httpStatus { parts.append("HTTP \(status)") }
        if let requestID = failure.requestID { parts.append("request id \(requestID)") }
        if let attempts = failure.attempts { parts.append(attempts == 1 ? "1 attempt" : "\(attempts) attempts") }
        return parts.joined(separator: ", ")
    }

    // MARK: - JSON

    var json: Value {
        .map([
            "healthy": .bool(isHealthy),
            "problems": .list(reasons.map(Value.string)),
            "aws": awsJSON,
            "state": stateJSON,
        ])
    }

    private var awsJSON: Value {
        .map([
            "healthy": .bool(aws.isHealthy),
            "profile": .string(aws.profile),
            "credentials": aws.credentialSource.map { source in
                .map([
                    "source": .string(source),
                    "access_key_id": .string(aws.maskedAccessKeyID ?? "****"),
                    "session_token": .bool(aws.usesSessionToken),
                ])
            } ?? .null,
            "region": aws.region.map { .map(["name": .string($0), "source": .string(aws.regionSource ?? "")]) } ?? .null,
            "endpoints": .list(aws.endpoints.map { endpoint in
                .map([
                    "service": .string(endpoint.service),
                    "url": .string(endpoint.url),
                    "signing_region": .string(endpoint.signingRegion),
                    "source": .string(endpoint.source),
                ])
            }),
            "max_attempts": aws.maxAttempts.map(Value.int) ?? .null,
            "ca_bundle": aws.caBundle.map(Value.string) ?? .null,
            "proxy": aws.proxy.map(Value.string) ?? .null,
            "identity": aws.identity.map { identity in
                .map(["arn": .string(identity.arn), "account": .string(identity.account), "user_id": .string(identity.userID)])
            } ?? .null,
            "error": aws.identityError.map { failure in
                .map([
                    "code": .string(failure.code),
                    "message": .string(failure.message),
                    "http_status": failure.httpStatus.map(Value.int) ?? .null,
                    "request_id": failure.requestID.map(Value.string) ?? .null,
                    "attempts": failure.attempts.map(Value.int) ?? .null,
                ])
            } ?? .null,
            "problems": .list(aws.problems.map(Value.string)),
        ])
    }

    private var stateJSON: Value {
        func file(_ file: StateDirectoryReport.File, _ extra: [String: Value] = [:]) -> Value {
            .map([
                "path": .string(file.path),
                "exists": .bool(file.exists),
                "mode": file.mode.map { .string(StateDirectoryReport.octal($0)) } ?? .null,
            ].merging(extra) { $1 })
        }
        return .map([
            "healthy": .bool(state.isHealthy),
            "path": .string(state.path),
            "exists": .bool(state.exists),
            "is_directory": .bool(state.isDirectory),
            "mode": state.mode.map { .string(StateDirectoryReport.octal($0)) } ?? .null,
            "owned_by_you": state.ownedByCurrentUser.map(Value.bool) ?? .null,
            "secret_key": file(state.secretKey, ["in_home": .bool(state.secretKeyInHome)]),
            "database": file(state.database),
            "problems": .list(state.problems.map(Value.string)),
            "warnings": .list(state.warnings.map(Value.string)),
        ])
    }
}
