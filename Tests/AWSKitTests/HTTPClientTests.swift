import AWSKit
import Foundation
import Testing
import TestSupport

@Suite("HTTP client on libcurl")
struct HTTPClientTests {
    @Test func returnsStatusHeadersAndBodyAndSendsTheRequestAsGiven() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 201, headers: [HTTPHeader("X-Fixture", "yes")], body: "hello"))
        defer { server.stop() }
        let client = HTTPClient()
        let response = try await client.send(HTTPRequest(
            method: "POST", url: server.url.appendingPathComponent("path"),
            headers: [HTTPHeader("Content-Type", "text/plain"), HTTPHeader("X-Custom", "a b")],
            body: Data(String(repeating: "x", count: 5000).utf8)))
        #expect(response.status == 201)
        #expect(response.headers.value(named: "x-fixture") == "yes")
        #expect(String(decoding: response.body, as: UTF8.self) == "hello")

        let received = try #require(server.requests.first)
        #expect(received.method == "POST")
        #expect(received.target == "/path")
        #expect(received.headers.value(named: "X-Custom") == "a b")
        #expect(received.body.count == 5000)
        // curl must not stall on `Expect: 100-continue` for larger bodies.
        #expect(received.headers.value(named: "Expect") == nil)
    }

    @Test func reusesOneConnectionForSequentialRequests() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 200, body: "ok"))
        defer { server.stop() }
        let client = HTTPClient()
        var reused: [Bool] = []
        for _ in 0..<5 {
            reused.append(try await client.send(HTTPRequest(method: "GET", url: server.url)).reusedConnection)
        }
        #expect(reused == [false, true, true, true, true])
        #expect(server.connectionCount == 1)
        #expect(Set(server.requests.map(\.connection)) == [0])
    }

    @Test func aRefusedConnectionIsARetryableConnectionFailure() async throws {
        let port = try FreePort.next()  // nothing listens there
        let client = HTTPClient()
        let error = try await #require(throws: HTTPClientError.self) {
            try await client.send(HTTPRequest(method: "GET", url: try #require(URL(string: "http://127.0.0.1:\(port)/"))))
        }
        guard case .connectionFailed = error else {
            Issue.record("expected connectionFailed, got \(error)")
            return
        }
        #expect(error.isRetryable)
    }

    @Test func theTotalTimeoutEndsASilentServer() async throws {
        let server = try ScriptedHTTPServer(always: .hang)
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(requestTimeout: .milliseconds(300)))
        let start = ContinuousClock.now
        let error = try await #require(throws: HTTPClientError.self) {
            try await client.send(HTTPRequest(method: "GET", url: server.url))
        }
        guard case .timedOut = error else {
            Issue.record("expected timedOut, got \(error)")
            return
        }
        #expect(error.isRetryable)
        // The server never answers: returning at all is the timeout working (the bound only
        // tells a hang apart, it is not a speed check).
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let server = try ScriptedHTTPServer(always: .hang)
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(requestTimeout: .seconds(60)))
        let task = Task { try await client.send(HTTPRequest(method: "GET", url: server.url)) }
        // Wait until the request is in flight, then cancel.
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        // Well inside the 60 s request timeout: the cancellation ended it, not the timeout.
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func anAlreadyCancelledTaskSendsNothing() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 200))
        defer { server.stop() }
        let client = HTTPClient()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(HTTPRequest(method: "GET", url: server.url))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(server.requests.isEmpty)
    }

    @Test func requestsGoThroughTheConfiguredProxyUnlessNoProxyMatches() async throws {
        let proxy = try ScriptedHTTPServer(always: .respond(status: 200, body: "via proxy"))
        defer { proxy.stop() }
        let origin = try ScriptedHTTPServer(always: .respond(status: 200, body: "direct"))
        defer { origin.stop() }
        let proxyURL = "http://127.0.0.1:\(proxy.port)"

        // HTTP_PROXY applies to http URLs; the proxy receives the absolute URL.
        let proxied = HTTPClient(configuration: .init(proxy: ProxyConfiguration(environment: ["HTTP_PROXY": proxyURL])))
        let viaProxy = try await proxied.send(HTTPRequest(method: "GET", url: try #require(URL(string: "http://iam.example.invalid/"))))
        #expect(String(decoding: viaProxy.body, as: UTF8.self) == "via proxy")
        #expect(proxy.requests.first?.target == "http://iam.example.invalid/")

        // NO_PROXY sends matching hosts directly.
        let bypassing = HTTPClient(configuration: .init(proxy: ProxyConfiguration(
            environment: ["http_proxy": proxyURL, "NO_PROXY": "localhost,127.0.0.1"])))
        let direct = try await bypassing.send(HTTPRequest(method: "GET", url: origin.url))
        #expect(String(decoding: direct.body, as: UTF8.self) == "direct")
        #expect(proxy.requests.count == 1)

        // HTTPS_PROXY applies to https URLs: curl asks the proxy for a tunnel.
        let tunnelling = HTTPClient(configuration: .init(proxy: ProxyConfiguration(environment: ["HTTPS_PROXY": proxyURL])))
        _ = try? await tunnelling.send(HTTPRequest(method: "GET", url: try #require(URL(string: "https://sts.example.invalid/"))))
        #expect(proxy.requests.last?.method == "CONNECT")
        #expect(proxy.requests.last?.target == "sts.example.invalid:443")
    }

    @Test func onlyHTTPAndHTTPSURLsAreAccepted() async throws {
        let client = HTTPClient()
        let error = try await #require(throws: HTTPClientError.self) {
            try await client.send(HTTPRequest(method: "GET", url: URL(fileURLWithPath: "/etc/passwd")))
        }
        #expect(error.code == "InvalidURL")
        #expect(!error.isRetryable)
    }
}

/// TLS against `openssl s_server` on loopback with a self-signed certificate for 127.0.0.1.
@Suite("TLS verification")
struct TLSVerificationTests {
    @Test func anUntrustedCertificateIsRefusedAndATrustedBundleAccepted() async throws {
        let tls = try await SelfSignedTLSServer.start()
        defer { tls.stop() }

        let untrusting = HTTPClient()
        let error = try await #require(throws: HTTPClientError.self) {
            try await untrusting.send(HTTPRequest(method: "GET", url: tls.url))
        }
        guard case .tlsVerificationFailed = error else {
            Issue.record("expected tlsVerificationFailed, got \(error)")
            return
        }
        #expect(!error.isRetryable)
        #expect(error.description.contains("did not verify"))
        #expect(error.description.contains("AWS_CA_BUNDLE"))

        // The same server, with its certificate as the CA bundle (AWS_CA_BUNDLE).
        let home = try TemporaryDirectory()
        let resolver = AWSConfigurationResolver(environment: ["AWS_CA_BUNDLE": tls.certificate.path], homeDirectory: home.path)
        let trusting = HTTPClient(configuration: try resolver.resolveHTTPConfiguration())
        let response = try await trusting.send(HTTPRequest(method: "GET", url: tls.url))
        #expect(response.status == 200)
    }

    @Test func anAWSCallToAnUntrustedEndpointFailsOnceWithAClearError() async throws {
        let tls = try await SelfSignedTLSServer.start()
        defer { tls.stop() }
        let sts = STSClient(configuration: Fixtures.configuration(endpoint: tls.url))
        let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
        #expect(error.kind == .transport)
        #expect(error.code == "TLSVerificationFailed")
        #expect(error.attempts == 1)
        #expect(error.description.contains("certificate did not verify"))
        expectNoSecrets(renderings(of: error), secrets: [Fixtures.credentials.secretAccessKey, Fixtures.credentials.sessionToken ?? ""])
    }
}

/// `openssl s_server -www` with a fresh self-signed certificate (SAN IP:127.0.0.1).
final class SelfSignedTLSServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let certificate: URL
    let port: UInt16
    private let process: Process

    var url: URL { URL(string: "https://127.0.0.1:\(port)/") ?? URL(fileURLWithPath: "/") }

    private init(directory: TemporaryDirectory, certificate: URL, port: UInt16, process: Process) {
        self.directory = directory
        self.certificate = certificate
        self.port = port
        self.process = process
    }

    static func start() async throws -> SelfSignedTLSServer {
        let directory = try TemporaryDirectory(prefix: "tls")
        let certificate = directory.appending("cert.pem")
        let key = directory.appending("key.pem")
        let made = try await ProcessRunner.run("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path,
        ], timeout: .seconds(30))
        guard made.succeeded else { throw SetupError("openssl req failed: \(made.standardError)") }

        for _ in 0..<3 {
            let port = try FreePort.next()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ProcessRunner.resolve("openssl"))
            process.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate.path,
                                 "-key", key.path, "-www", "-quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try ProcessRunner.launch(process)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, process.isRunning {
                if Self.isListening(port) {
                    return SelfSignedTLSServer(directory: directory, certificate: certificate, port: port, process: process)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.terminate()
            process.waitUntilExit()
        }
        throw SetupError("openssl s_server did not start")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }

    private static func isListening(_ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    struct SetupError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
