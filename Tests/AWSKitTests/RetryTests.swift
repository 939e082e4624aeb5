import AWSKit
import Foundation
import Testing
import TestSupport

/// The SDKs' standard retry mode against a test server that fails a set number of times.
@Suite("Retries")
struct RetryTests {
    /// A server failing the first `failures` requests with `failure`, then answering
    /// GetCallerIdentity.
    private func flakyServer(failures: Int, _ failure: ScriptedHTTPServer.Reply) throws -> ScriptedHTTPServer {
        try ScriptedHTTPServer { _, index in
            index < failures ? failure : .respond(status: 200, body: Fixtures.callerIdentityXML)
        }
    }

    static let transientFailures: [(String, ScriptedHTTPServer.Reply)] = [
        ("503 without a body", .respond(status: 503)),
        ("500 InternalFailure", .respond(status: 500, body: Fixtures.errorXML(code: "InternalFailure"))),
        ("502", .respond(status: 502, body: "<html>bad gateway</html>")),
        ("504", .respond(status: 504)),
        ("400 Throttling", .respond(status: 400, body: Fixtures.errorXML(code: "Throttling", message: "Rate exceeded"))),
        ("400 ThrottlingException", .respond(status: 400, body: Fixtures.errorXML(code: "ThrottlingException"))),
        ("503 RequestLimitExceeded", .respond(status: 503, body: Fixtures.errorXML(code: "RequestLimitExceeded"))),
        ("429 TooManyRequestsException", .respond(status: 429, body: Fixtures.errorXML(code: "TooManyRequestsException"))),
        ("connection reset", .reset),
        ("connection closed without an answer", .close),
    ]

    @Test(arguments: transientFailures.map(\.0))
    func succeedsWithinTheAttemptBudget(_ name: String) async throws {
        let failure = try #require(Self.transientFailures.first { $0.0 == name }?.1)
        let server = try flakyServer(failures: 2, failure)
        defer { server.stop() }
        let recorder = DelayRecorder()
        let sts = STSClient(configuration: Fixtures.configuration(
            endpoint: server.url, retryPolicy: Fixtures.instantRetries(maxAttempts: 3, recorder: recorder)))

        let identity = try await sts.getCallerIdentity()
        #expect(identity.account == "123456789012")
        #expect(server.requests.count == 3)
        #expect(recorder.delays.count == 2)
        // Every attempt is signed afresh.
        #expect(server.requests.allSatisfy { $0.headers.value(named: "Authorization") != nil })
    }

    @Test(arguments: transientFailures.map(\.0))
    func failsAfterExactlyMaxAttemptsWithTheLastError(_ name: String) async throws {
        let failure = try #require(Self.transientFailures.first { $0.0 == name }?.1)
        let server = try flakyServer(failures: .max, failure)
        defer { server.stop() }
        let sts = STSClient(configuration: Fixtures.configuration(
            endpoint: server.url, retryPolicy: Fixtures.instantRetries(maxAttempts: 4)))

        let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
        #expect(error.attempts == 4)
        #expect(server.requests.count == 4)
        #expect(error.isRetryable)
        #expect(error.operation == "sts:GetCallerIdentity")
        #expect(error.description.contains("4 attempts"))
        expectNoSecrets(renderings(of: error), secrets: [Fixtures.credentials.secretAccessKey, Fixtures.credentials.sessionToken ?? ""])
    }

    @Test func theLastErrorIsTheOneReported() async throws {
        let server = try ScriptedHTTPServer { _, index in
            index == 0
                ? .respond(status: 400, body: Fixtures.errorXML(code: "Throttling", requestID: "first"))
                : .respond(status: 503, body: Fixtures.errorXML(code: "ServiceUnavailable", requestID: "second"))
        }
        defer { server.stop() }
        let sts = STSClient(configuration: Fixtures.configuration(endpoint: server.url,
                                                                  retryPolicy: Fixtures.instantRetries(maxAttempts: 2)))
        let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
        #expect(error.code == "ServiceUnavailable")
        #expect(error.requestID == "second")
        #expect(error.httpStatus == 503)
        #expect(error.attempts == 2)
    }

    @Test(arguments: ["ValidationError", "AccessDenied", "NoSuchEntity", "InvalidClientTokenId", "LimitExceeded"])
    func clientErrorsAreNeverRetried(_ code: String) async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 400, body: Fixtures.errorXML(code: code)))
        defer { server.stop() }
        let recorder = DelayRecorder()
        let iam = IAMClient(configuration: Fixtures.configuration(
            endpoint: server.url, retryPolicy: Fixtures.instantRetries(maxAttempts: 5, recorder: recorder)))
        let error = try await #require(throws: AWSError.self) { try await iam.getUser(userName: "someone") }
        #expect(error.code == code)
        #expect(error.attempts == 1)
        #expect(!error.isRetryable)
        #expect(server.requests.count == 1)
        #expect(recorder.delays.isEmpty)
    }

    @Test func maxAttemptsComesFromTheEnvironment() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 503))
        defer { server.stop() }
        let home = try TemporaryDirectory()
        var configuration = try AWSConfiguration.resolve(environment: [
            "AWS_ACCESS_KEY_ID": Fixtures.credentials.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": Fixtures.credentials.secretAccessKey,
            "AWS_ENDPOINT_URL": server.url.absoluteString,
            "AWS_MAX_ATTEMPTS": "5",
        ], homeDirectory: home.path)
        #expect(configuration.retryPolicy.maxAttempts == 5)
        configuration.retryPolicy.sleep = { _ in }
        let error = try await #require(throws: AWSError.self) {
            try await STSClient(configuration: configuration).getCallerIdentity()
        }
        #expect(error.attempts == 5)
        #expect(server.requests.count == 5)
        #expect(error.code == "503")
    }

    @Test func aMaxAttemptsOfOneMeansNoRetry() async throws {
        let server = try flakyServer(failures: 1, .respond(status: 503))
        defer { server.stop() }
        let sts = STSClient(configuration: Fixtures.configuration(endpoint: server.url,
                                                                  retryPolicy: Fixtures.instantRetries(maxAttempts: 1)))
        let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
        #expect(error.attempts == 1)
        #expect(server.requests.count == 1)
    }

    @Test func aRefusedConnectionIsRetriedThenReported() async throws {
        let port = try FreePort.next()
        let endpoint = try #require(URL(string: "http://127.0.0.1:\(port)"))
        let sts = STSClient(configuration: Fixtures.configuration(endpoint: endpoint, retryPolicy: Fixtures.instantRetries(maxAttempts: 3)))
        let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
        #expect(error.kind == .transport)
        #expect(error.code == "ConnectionFailed")
        #expect(error.attempts == 3)
        #expect(error.httpStatus == nil)
    }

    @Test func backoffIsFullJitterExponentialCappedAtTheMaximum() {
        let high = RetryPolicy(randomUnit: { 0.999_999 })
        let ceilings = (1...10).map { high.delay(afterAttempt: $0) }
        let expected: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                                    .milliseconds(1600), .milliseconds(3200), .milliseconds(6400), .milliseconds(12800),
                                    .seconds(20), .seconds(20)]
        for (delay, ceiling) in zip(ceilings, expected) {
            #expect(delay <= ceiling)
            #expect(delay >= ceiling * 0.999)
        }
        #expect(RetryPolicy(randomUnit: { 0 }).delay(afterAttempt: 5) == .zero)
        let half = RetryPolicy(randomUnit: { 0.5 })
        #expect(half.delay(afterAttempt: 3) == .milliseconds(200))
        // The real source of randomness stays within the bounds.
        let random = RetryPolicy()
        for attempt in 1...12 {
            let delay = random.delay(afterAttempt: attempt)
            #expect(delay >= .zero && delay <= min(.seconds(20), .milliseconds(100) * (1 << (attempt - 1))))
        }
    }

    @Test func retriesWaitBetweenAttemptsAndStopWhenCancelled() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 503))
        defer { server.stop() }
        // Real sleeping with a long backoff: cancellation must cut the wait short.
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(30), randomUnit: { 1 })
        let sts = STSClient(configuration: Fixtures.configuration(endpoint: server.url, retryPolicy: policy))
        let task = Task { try await sts.getCallerIdentity() }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        // One request and a CancellationError: the 30 s backoff was cut short (otherwise a
        // second request would follow it).
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(server.requests.count == 1)
    }
}
