import AWSKit
import Foundation
import Testing
import TestSupport

/// Whatever a server sends back, no error text carries a secret, a session token or an
/// Authorization header.
@Suite("Secrets never reach error text")
struct RedactionTests {
    /// A server that echoes the whole request — headers, signature, token — into the error
    /// message, and throws in the secret itself for good measure.
    @Test func anEchoingServerCannotLeakTheRequestIntoErrors() async throws {
        let secret = Fixtures.credentials.secretAccessKey
        let server = try ScriptedHTTPServer { request, _ in
            let echoed = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            let message = "We saw:\n\(echoed)\n\(request.bodyText)\nX-Amz-Security-Token=\(Fixtures.credentials.sessionToken ?? "")"
                + "&aws_secret_access_key=\(secret) and your secret is \(secret)"
            let body = "<ErrorResponse><Error><Code>Echo</Code><Message>\(Self.escape(message))</Message></Error>"
                + "<RequestId>\(Self.escape(echoed))</RequestId></ErrorResponse>"
            return .respond(status: 400, body: body)
        }
        defer { server.stop() }
        let error = try await #require(throws: AWSError.self) {
            try await IAMClient(configuration: Fixtures.configuration(endpoint: server.url)).getUser(userName: "echo")
        }
        #expect(error.code == "Echo")
        #expect(error.message.contains("We saw:"))
        let sent = try #require(server.requests.first)
        let signature = try #require(sent.headers.value(named: "Authorization")?.components(separatedBy: "Signature=").last)
        expectNoSecrets(renderings(of: error),
                        secrets: [secret, Fixtures.credentials.sessionToken ?? "", signature])
    }

    @Test func secretsInTransportErrorsAndInvalidSettingsAreScrubbed() async throws {
        let home = try TemporaryDirectory()
        let error = try #require(throws: AWSConfigurationError.self) {
            try AWSConfigurationResolver(environment: ["AWS_ENDPOINT_URL": "ftp://user:hunter2-password@host/"], homeDirectory: home.path)
                .resolveEndpoint(for: .iam, region: "us-east-1")
        }
        expectNoSecrets(renderings(of: error), secrets: ["hunter2-password"])

        // A proxy URL with a password that cannot be reached.
        let port = try FreePort.next()
        let client = HTTPClient(configuration: .init(proxy: ProxyConfiguration(httpProxy: "http://ops:hunter2-password@127.0.0.1:\(port)")))
        let transport = try await #require(throws: HTTPClientError.self) {
            try await client.send(HTTPRequest(method: "GET", url: try #require(URL(string: "http://iam.example.invalid/"))))
        }
        expectNoSecrets(renderings(of: transport), secrets: ["hunter2-password"])
    }

    @Test func aNewAccessKeyPrintsWithoutItsSecret() {
        let key = AccessKey(userName: "automate-ha", accessKeyID: "AKIANEWKEY00000WXYZ", secretAccessKey: "brand-new-secret-value-123",
                            status: .active)
        var dumped = ""
        dump(key, to: &dumped)
        let texts = [key.description, String(reflecting: key), "\(key)", dumped, "\([key])"]
        expectNoSecrets(texts, secrets: [key.secretAccessKey])
        #expect(key.description.contains("****WXYZ"))
        #expect(key.metadata.accessKeyID == key.accessKeyID)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
