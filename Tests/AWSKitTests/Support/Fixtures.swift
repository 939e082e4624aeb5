import AWSKit
import Foundation
import Testing
import TestSupport

/// `Tag` alone is ambiguous beside Swift Testing's own `Tag`.
typealias IAMTag = AWSKit.Tag

enum Fixtures {
    /// Credentials for servers that do not check signatures. The secret and token are long
    /// and distinctive so that a leak into any text is easy to spot.
    static let credentials = AWSCredentials(
        accessKeyID: "AKIAFIXTURE000000KEY",
        secretAccessKey: "fixtureSECRET/do+not+print/0123456789abcdef",
        sessionToken: "fixtureTOKEN//must-never-appear//FwoGZXIvYXdzEBYaDHh0b2tlbg==")

    /// A retry policy that waits for nothing and records the waits it was asked for.
    static func instantRetries(maxAttempts: Int = 3, recorder: DelayRecorder? = nil) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, sleep: { delay in recorder?.record(delay) })
    }

    /// A configuration that sends both services to a local test server.
    static func configuration(endpoint: URL, credentials: AWSCredentials = Fixtures.credentials,
                              retryPolicy: RetryPolicy = instantRetries(),
                              http: HTTPClient.Configuration = HTTPClient.Configuration()) -> AWSConfiguration {
        AWSConfiguration(credentials: credentials, retryPolicy: retryPolicy, http: http).withEndpointURL(endpoint)
    }

    static let callerIdentityXML = """
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <GetCallerIdentityResult>
            <Arn>arn:aws:iam::123456789012:user/fixture</Arn>
            <UserId>AIDAFIXTURE</UserId>
            <Account>123456789012</Account>
          </GetCallerIdentityResult>
          <ResponseMetadata><RequestId>req-ok</RequestId></ResponseMetadata>
        </GetCallerIdentityResponse>
        """

    static func errorXML(code: String, message: String = "fixture message", requestID: String = "req-err") -> String {
        """
        <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
          <Error><Type>Sender</Type><Code>\(code)</Code><Message>\(message)</Message></Error>
          <RequestId>\(requestID)</RequestId>
        </ErrorResponse>
        """
    }
}

/// Collects the backoff delays a retry policy asked for.
final class DelayRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []

    func record(_ delay: Duration) {
        lock.withLock { recorded.append(delay) }
    }

    var delays: [Duration] { lock.withLock { recorded } }
}

/// Every text an operator might see from a failure must be free of secrets and of the
/// `Authorization` header. Checked on every error the tests provoke.
func expectNoSecrets(_ texts: [String], secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for text in texts {
        for secret in secrets where !secret.isEmpty {
            // Compare first, so a failure report never prints the secret itself.
            let leaked = text.contains(secret)
            #expect(!leaked, "a secret leaked into: \(text.replacingOccurrences(of: secret, with: "<SECRET>"))",
                    sourceLocation: sourceLocation)
        }
        let mentionsAuthorization = text.range(of: "authorization", options: .caseInsensitive) != nil
            && !text.contains("Authorization: [REDACTED]") && !text.contains("authorization: [REDACTED]")
        let hasSigV4Value = text.contains("AWS4-HMAC-SHA256 Credential=")
        #expect(!mentionsAuthorization && !hasSigV4Value, "Authorization header text in: \(text)", sourceLocation: sourceLocation)
    }
}

/// All the ways an error can be rendered.
func renderings(of error: any Error) -> [String] {
    var dumped = ""
    dump(error, to: &dumped)
    return ["\(error)", String(describing: error), String(reflecting: error), dumped, error.localizedDescription]
}

/// One moto server for the whole test process (starting one takes seconds). It is killed
/// at exit by an atexit hook, and by MotoServer's watchdog if the process dies harder.
enum SharedMoto {
    private static let starting = Task<MotoServer, any Error> {
        let server = try await MotoServer.start()
        SharedMotoExit.register(server)
        return server
    }

    static func server() async throws -> MotoServer {
        try await starting.value
    }

    /// A configuration signing as moto's admin.
    static func adminConfiguration(retryPolicy: RetryPolicy = Fixtures.instantRetries()) async throws -> AWSConfiguration {
        let moto = try await server()
        let credentials = AWSCredentials(accessKeyID: moto.adminAccessKeyID, secretAccessKey: moto.adminSecretAccessKey)
        return AWSConfiguration(credentials: credentials, retryPolicy: retryPolicy).withEndpointURL(moto.endpointURL)
    }

    /// A name no other test uses: `prefix-<8 hex>`; valid for IAM users, groups and paths.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

private enum SharedMotoExit {
    nonisolated(unsafe) private static var server: MotoServer?

    static func register(_ moto: MotoServer) {
        server = moto
        atexit {
            SharedMotoExit.server?.stop()
        }
    }
}
