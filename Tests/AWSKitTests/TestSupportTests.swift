import AWSKit
import Foundation
import Testing
import TestSupport

/// The shared test helpers other suites rely on.
@Suite("TestSupport")
struct TestSupportTests {
    @Test func motoServerStopsForReal() async throws {
        let moto = try await MotoServer.start(options: .init(adminUserName: "stop-check"))
        let configuration = AWSConfiguration(credentials: AWSCredentials(accessKeyID: moto.adminAccessKeyID,
                                                                         secretAccessKey: moto.adminSecretAccessKey),
                                             retryPolicy: Fixtures.instantRetries(maxAttempts: 1))
            .withEndpointURL(moto.endpointURL)
        #expect(try await STSClient(configuration: configuration).getCallerIdentity().arn.hasSuffix(":user/stop-check"))

        moto.stop()
        // Stopped for real: nothing answers on its port any more.
        let error = try await #require(throws: AWSError.self) { try await STSClient(configuration: configuration).getCallerIdentity() }
        #expect(error.code == "ConnectionFailed")
        moto.stop()  // idempotent
    }

    @Test func processRunnerCapturesOutputStatusAndTimesOut() async throws {
        let result = try await ProcessRunner.run("sh", ["-c", "echo out; echo err >&2; exit 3"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.exitStatus == 3)
        #expect(result.standardOutput == "out\n")
        #expect(result.standardError == "err\n")
        #expect(!result.succeeded)

        let echoed = try await ProcessRunner.run("cat", input: Data("piped".utf8))
        #expect(echoed.standardOutput == "piped")

        let start = ContinuousClock.now
        let slow = try await ProcessRunner.run("sleep", ["30"], timeout: .milliseconds(200))
        #expect(slow.timedOut)
        // Well before the command's own 30 s: the timeout ended it (a bound, not a speed check).
        #expect(ContinuousClock.now - start < .seconds(25))
    }

    @Test func temporaryDirectoryWritesFilesAndGoesAway() throws {
        var path = ""
        do {
            let directory = try TemporaryDirectory()
            path = directory.path
            let file = try directory.write("secret", to: "nested/file.txt", permissions: 0o600)
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(try String(contentsOf: file, encoding: .utf8) == "secret")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
