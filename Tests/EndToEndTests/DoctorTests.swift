import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `runbook doctor` against moto_server with signature checking on: what it shows, its exit
/// status, and that no secret ever reaches its output.
@Suite("runbook doctor")
struct DoctorTests {
    /// A sandbox whose AWS files live inside it (so the real `~/.aws` is never read),
    /// pointed at moto, with a private RUNBOOK_HOME.
    func sandbox(_ moto: MotoServer, credentials: [String: String]? = nil) throws -> Sandbox {
        let sandbox = try Sandbox()
        sandbox.environment["AWS_SHARED_CREDENTIALS_FILE"] = sandbox.path("aws/credentials")
        sandbox.environment["AWS_CONFIG_FILE"] = sandbox.path("aws/config")
        sandbox.environment["AWS_ENDPOINT_URL"] = moto.endpointURL.absoluteString
        sandbox.environment["AWS_REGION"] = "us-east-1"
        for (name, value) in credentials ?? [
            "AWS_ACCESS_KEY_ID": moto.adminAccessKeyID, "AWS_SECRET_ACCESS_KEY": moto.adminSecretAccessKey,
        ] {
            sandbox.environment[name] = value
        }
        try FileManager.default.createDirectory(atPath: sandbox.home, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return sandbox
    }

    @Test func healthyShowsTheIdentityAndNoSecret() async throws {
        let moto = try await SharedMoto.shared.get()
        let sandbox = try sandbox(moto)
        let result = try await sandbox.run("doctor")
        #expect(result.status == 0, "\(redacted(result, moto))")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let identity = try #require(lines.first { $0.contains("identity:") })
        #expect(identity.contains("arn:aws:iam::\(moto.accountID):user/\(moto.adminUserName)"))
        let credentials = try #require(lines.first { $0.contains("credentials:") })
        #expect(credentials.contains("environment (AWS_ACCESS_KEY_ID)"))
        #expect(credentials.contains("key ****\(moto.adminAccessKeyID.suffix(4))"))
        #expect(!result.output.contains(moto.adminAccessKeyID), "the key id is shown masked only")
        #expect(lines.contains { $0.contains("region:") && $0.contains("us-east-1 (environment variable AWS_REGION)") })
        #expect(lines.filter { $0.contains("endpoint ") && $0.contains(moto.endpointURL.absoluteString) }.count == 2)
        #expect(lines.contains { $0.contains("max attempts:") && $0.hasSuffix("3") })
        #expect(lines.contains { $0.contains("path:") && $0.contains(sandbox.home) && $0.contains("mode 0700") })
        #expect(lines.contains { $0.contains("secret key:") && $0.contains("none yet") })
        #expect(lines.last == "all is well")
        #expect(result.stderr.isEmpty, "\(redacted(result, moto))")
        expectNoSecret(result, moto.adminSecretAccessKey)
        #expect(!sandbox.exists("home/secret.key") && !sandbox.exists("home/state.db"), "doctor creates nothing")
    }

    @Test func wrongSecretGivesTheCodeAndAttempts() async throws {
        let moto = try await SharedMoto.shared.get()
        let wrong = "wrong-secret-\(UUID().uuidString)"
        let sandbox = try sandbox(moto, credentials: ["AWS_ACCESS_KEY_ID": moto.adminAccessKeyID, "AWS_SECRET_ACCESS_KEY": wrong])
        for arguments in [["doctor"], ["doctor", "--output", "json"]] {
            let result = try await sandbox.run(arguments)
            #expect(result.status == 1, "\(arguments): \(redacted(result, moto))")
            #expect(result.stderr.contains("runbook: error: sts:GetCallerIdentity failed: SignatureDoesNotMatch: "),
                    "\(redacted(result, moto))")
            #expect(result.stderr.contains("HTTP 403") && result.stderr.contains("1 attempt)"), "\(redacted(result, moto))")
            expectNoSecret(result, wrong)
            expectNoSecret(result, moto.adminSecretAccessKey)
        }
        let json = try #require(try await sandbox.run("doctor", "--output", "json").json() as? [String: Any])
        let error = try #require((json["aws"] as? [String: Any])?["error"] as? [String: Any])
        #expect(error["code"] as? String == "SignatureDoesNotMatch")
        #expect(error["attempts"] as? Int == 1)
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(json["healthy"] as? Bool == false)
    }

    @Test func noCredentialsSaysWhereItLooked() async throws {
        let moto = try await SharedMoto.shared.get()
        let sandbox = try sandbox(moto, credentials: [:])
        try sandbox.write("aws/config", "[profile other]\nregion = eu-west-1\n")
        let result = try await sandbox.run("doctor")
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("credentials:   none found"), "\(result)")
        #expect(result.stderr.contains("no AWS credentials found for profile \"default\"; looked in:"), "\(result)")
        #expect(result.stderr.contains("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"), "\(result)")
        #expect(result.stderr.contains("shared credentials file \(sandbox.path("aws/credentials")): no such file"), "\(result)")
        #expect(result.stderr.contains("config file \(sandbox.path("aws/config")): no [default] section"), "\(result)")
        #expect(!result.output.contains(".aws/"), "the real ~/.aws is never consulted")
    }

    @Test func jsonShape() async throws {
        let moto = try await SharedMoto.shared.get()
        let sandbox = try sandbox(moto)
        _ = try sandbox.write("home/secret.key", String(repeating: "k", count: 32), mode: 0o600)
        let result = try await sandbox.run("doctor", "--output", "json")
        #expect(result.status == 0, "\(redacted(result, moto))")
        expectNoSecret(result, moto.adminSecretAccessKey)
        let json = try #require(try result.json() as? [String: Any])
        #expect(json["healthy"] as? Bool == true)
        #expect((json["problems"] as? [Any])?.isEmpty == true)

        let aws = try #require(json["aws"] as? [String: Any])
        #expect(aws["healthy"] as? Bool == true)
        #expect(aws["profile"] as? String == "default")
        let credentials = try #require(aws["credentials"] as? [String: Any])
        #expect(credentials["source"] as? String == "environment (AWS_ACCESS_KEY_ID)")
        #expect(credentials["access_key_id"] as? String == "****" + moto.adminAccessKeyID.suffix(4))
        #expect(credentials["session_token"] as? Bool == false)
        #expect(aws["region"] as? [String: String] == ["name": "us-east-1", "source": "environment variable AWS_REGION"])
        let endpoints = try #require(aws["endpoints"] as? [[String: String]])
        #expect(endpoints.map { $0["service"] } == ["iam", "sts"])
        #expect(endpoints.allSatisfy { $0["url"] == moto.endpointURL.absoluteString && $0["signing_region"] == "us-east-1" })
        #expect(endpoints.allSatisfy { $0["source"] == "environment variable AWS_ENDPOINT_URL" })
        #expect(aws["max_attempts"] as? Int == 3)
        #expect(aws["ca_bundle"] is NSNull && aws["proxy"] is NSNull && aws["error"] is NSNull)
        let identity = try #require(aws["identity"] as? [String: String])
        #expect(identity["arn"] == "arn:aws:iam::\(moto.accountID):user/\(moto.adminUserName)")
        #expect(identity["account"] == moto.accountID && identity["user_id"]?.isEmpty == false)

        let state = try #require(json["state"] as? [String: Any])
        #expect(state["path"] as? String == sandbox.home)
        #expect(state["exists"] as? Bool == true && state["is_directory"] as? Bool == true)
        #expect(state["mode"] as? String == "0700" && state["owned_by_you"] as? Bool == true)
        #expect(state["healthy"] as? Bool == true)
        let key = try #require(state["secret_key"] as? [String: Any])
        #expect(key["path"] as? String == sandbox.path("home/secret.key"))
        #expect(key["exists"] as? Bool == true && key["mode"] as? String == "0600" && key["in_home"] as? Bool == true)
        let database = try #require(state["database"] as? [String: Any])
        #expect(database["path"] as? String == sandbox.path("home/state.db") && database["exists"] as? Bool == false)
        #expect(database["mode"] is NSNull)
        #expect((state["problems"] as? [Any])?.isEmpty == true && (state["warnings"] as? [Any])?.isEmpty == true)
    }

    @Test func overPermissiveHomeIsFlagged() async throws {
        let moto = try await SharedMoto.shared.get()
        let sandbox = try sandbox(moto)
        _ = try sandbox.write("home/secret.key", String(repeating: "k", count: 32), mode: 0o644)
        chmod(sandbox.home, 0o755)
        let result = try await sandbox.run("doctor")
        #expect(result.status == 1, "\(redacted(result, moto))")
        #expect(result.stdout.contains("identity:      arn:aws:iam::"), "AWS is fine: \(redacted(result, moto))")
        #expect(result.stdout.contains("\(sandbox.home) (mode 0755)"))
        #expect(result.stderr.contains("runbook: error: 2 problems:"), "\(redacted(result, moto))")
        #expect(result.stderr.contains("\(sandbox.home) has mode 0755") && result.stderr.contains("chmod 700 \(sandbox.home)"),
                "\(redacted(result, moto))")
        let keyPath = sandbox.path("home/secret.key")
        #expect(result.stderr.contains("secret key \(keyPath) has mode 0644") && result.stderr.contains("chmod 600 \(keyPath)"))
        expectNoSecret(result, moto.adminSecretAccessKey)

        let json = try #require(try await sandbox.run("doctor", "--output", "json").json() as? [String: Any])
        let state = try #require(json["state"] as? [String: Any])
        #expect(state["healthy"] as? Bool == false && state["mode"] as? String == "0755")
        #expect((state["problems"] as? [String])?.count == 2)
        #expect((json["aws"] as? [String: Any])?["healthy"] as? Bool == true)
        #expect(json["healthy"] as? Bool == false)
    }

    @Test func missingHomeIsFineAndCreatedLater() async throws {
        let moto = try await SharedMoto.shared.get()
        let sandbox = try sandbox(moto)
        let home = sandbox.path("not/yet/here")
        let result = try await sandbox.run(["doctor"], environment: ["RUNBOOK_HOME": home])
        #expect(result.status == 0, "\(redacted(result, moto))")
        #expect(result.stdout.contains("\(home) (does not exist yet"), "\(redacted(result, moto))")
        #expect(!FileManager.default.fileExists(atPath: home), "doctor creates nothing")
    }

    /// Checks before printing, so a failure report never shows the secret itself.
    func expectNoSecret(_ result: CommandResult, _ secret: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let leaked = result.output.contains(secret)
        #expect(!leaked, "a secret leaked: \(result.output.replacingOccurrences(of: secret, with: "<SECRET>"))",
                sourceLocation: sourceLocation)
        #expect(!result.output.contains("AWS4-HMAC-SHA256 Credential="), sourceLocation: sourceLocation)
    }

    func redacted(_ result: CommandResult, _ moto: MotoServer) -> String {
        result.description.replacingOccurrences(of: moto.adminSecretAccessKey, with: "<SECRET>")
    }
}
