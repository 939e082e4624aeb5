/// The AWS SDKs' "standard" retry mode: a bounded number of attempts, exponential backoff
/// with full jitter, and retries only for throttling, transient server errors and transport
/// failures — never for client errors, which would fail the same way again.
public struct RetryPolicy: Sendable {
    /// Attempts in total, the first included (`AWS_MAX_ATTEMPTS`, default 3).
    public var maxAttempts: Int
    /// The backoff before retry *n* is drawn uniformly from `0 ... min(maxBackoff, baseDelay * 2^(n-1))`.
    public var baseDelay: Duration
    public var maxBackoff: Duration
    /// How to wait between attempts; tests replace it to record delays or skip waiting.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// A uniform random number in `0 ..< 1`; replaceable for deterministic tests.
    public var randomUnit: @Sendable () -> Double

    public static let defaultMaxAttempts = 3

    public init(
        maxAttempts: Int = RetryPolicy.defaultMaxAttempts,
        baseDelay: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(20),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        randomUnit: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.sleep = sleep
        self.randomUnit = randomUnit
    }

    /// The wait after `attempt` failed attempts (1-based), before the next one.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maxBackoff, baseDelay * (1 << exponent))
        let unit = min(max(randomUnit(), 0), 1)
        return ceiling * unit
    }

    /// Error codes the SDKs treat as throttling (botocore's standard mode list).
    public static let throttlingErrorCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]

    /// Error codes that are transient whatever the status.
    public static let transientErrorCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    ]

    public static let transientStatusCodes: Set<Int> = [500, 502, 503, 504]

    /// Whether a service error is worth another attempt.
    public static func isRetryable(code: String, httpStatus: Int?) -> Bool {
        if throttlingErrorCodes.contains(code) || transientErrorCodes.contains(code) { return true }
        if let httpStatus, transientStatusCodes.contains(httpStatus) { return true }
        return false
    }
}
