/// A failed AWS call: the service's error, a transport failure, or an answer that could not
/// be understood — after every attempt the retry policy allowed.
///
/// Its text never contains a secret, a session token or an `Authorization` header, even
/// when a server echoes the request back: the message is scrubbed when the error is made.
public struct AWSError: Error, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The service answered with an error document (or a bare error status).
        case service
        /// No usable HTTP answer: see `transportError`.
        case transport
        /// A success status whose body did not decode.
        case malformedResponse
    }

    public let kind: Kind
    /// The AWS error code (`NoSuchEntity`, `SignatureDoesNotMatch`), or for transport failures
    /// `HTTPClientError.code` (`ConnectionFailed`, `Timeout`, ...).
    public let code: String
    public let message: String
    /// The HTTP status, when the server answered.
    public let httpStatus: Int?
    public let requestID: String?
    /// How many times the request was sent, retries included.
    public let attempts: Int
    /// `service:Action`, e.g. `iam:GetUser`.
    public let operation: String
    public let transportError: HTTPClientError?

    public init(kind: Kind, code: String, message: String, httpStatus: Int? = nil, requestID: String? = nil,
                attempts: Int, operation: String, transportError: HTTPClientError? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.requestID = requestID
        self.attempts = attempts
        self.operation = operation
        self.transportError = transportError
    }

    public func hasCode(_ code: String) -> Bool {
        self.code == code
    }

    /// The entity (user, group, policy, key) does not exist.
    public var isNoSuchEntity: Bool { code == "NoSuchEntity" }
    public var isEntityAlreadyExists: Bool { code == "EntityAlreadyExists" }
    /// The entity still has subordinates (keys, policies, group members) and cannot be deleted.
    public var isDeleteConflict: Bool { code == "DeleteConflict" }
    public var isLimitExceeded: Bool { code == "LimitExceeded" }
    public var isAccessDenied: Bool { code == "AccessDenied" || code == "AccessDeniedException" }
    /// The credentials were refused: unknown key, wrong secret, expired token.
    public var isAuthenticationFailure: Bool {
        ["SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
         "UnrecognizedClientException", "IncompleteSignature", "MissingAuthenticationToken"].contains(code)
    }
    public var isThrottling: Bool { RetryPolicy.throttlingErrorCodes.contains(code) }

    /// Whether the standard retry mode retries this failure (whatever attempts remain).
    public var isRetryable: Bool {
        switch kind {
        case .transport:
            transportError?.isRetryable ?? false
        case .service:
            RetryPolicy.isRetryable(code: code, httpStatus: httpStatus)
        case .malformedResponse:
            false
        }
    }
}

extension AWSError: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        var context = [operation]
        if let httpStatus { context.append("HTTP \(httpStatus)") }
        if let requestID { context.append("request id \(requestID)") }
        context.append(attempts == 1 ? "1 attempt" : "\(attempts) attempts")
        return "\(code): \(message) (\(context.joined(separator: ", ")))"
    }

    public var debugDescription: String {
        "AWSError(\(kind.rawValue), \(description))"
    }
}
