import AWSKit
import Foundation
import Testing
import TestSupport

/// One `moto_server` (signature checking on, managed policies loaded) shared by the ha-iam
/// tests of this process; each test uses its own user, profile and files.
actor SharedMoto {
    static let shared = SharedMoto()
    private var starting: Task<MotoServer, Error>?

    /// The one server; callers arriving while it starts wait for the same start.
    func get() async throws -> MotoServer {
        if let starting { return try await starting.value }
        let task = Task { try await MotoServer.start() }
        starting = task
        return try await task.value
    }
}

/// A sandbox for one ha-iam scenario: the `runbook` binary pointed at moto with the admin's
/// key, its own `RUNBOOK_HOME`, and its own AWS CLI files that already hold another profile
/// (which every run must leave byte for byte as it was).
final class IAMWorld: @unchecked Sendable {
    let sandbox: Sandbox
    let moto: MotoServer
    let user: String
    let profile: String
    let admin: IAMClient

    var credentialsFile: String { sandbox.path("aws/credentials") }
    var configFile: String { sandbox.path("aws/config") }

    static let existingCredentials = """
        # maintained by hand
        [default]
        aws_access_key_id = AKIAEXISTINGDEFAULT1
        aws_secret_access_key = existing/default/secret/not/real/000000

        [other]
        aws_access_key_id=AKIAEXISTINGOTHER001
        aws_secret_access_key=existing/other/secret/not/real/1111111

        """
    static let existingConfig = """
        [default]
        region = eu-west-1

        [profile other]
        region = ap-south-1
        output = json

        """

    static let documentPolicies: Set<String> = [
        "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/AmazonAPIGatewayAdministrator",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess", "arn:aws:iam::aws:policy/IAMFullAccess",
    ]

    /// `privateServer`: a moto of its own, for a test that compares moto's whole state.
    init(user: String, profile: String? = nil, privateServer: Bool = false) async throws {
        sandbox = try Sandbox()
        moto = privateServer ? try await MotoServer.start() : try await SharedMoto.shared.get()
        self.user = user
        self.profile = profile ?? user
        try sandbox.write("aws/credentials", Self.existingCredentials, mode: 0o600)
        try sandbox.write("aws/config", Self.existingConfig, mode: 0o600)
        let runbook = try String(contentsOf: URL(fileURLWithPath: Self.packageRoot).appendingPathComponent("runbooks/ha-iam.yaml"),
                                 encoding: .utf8)
        try sandbox.writeRunbook("ha-iam", runbook)
        let configuration = try AWSConfiguration.resolve(environment: moto.awsEnvironment, homeDirectory: sandbox.root.path)
        admin = IAMClient(configuration: configuration)
        sandbox.environment.merge(moto.awsEnvironment) { $1 }
        sandbox.environment["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile
        sandbox.environment["AWS_CONFIG_FILE"] = configFile
    }

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// `execute ha-iam` for this world's user and profile, plus `extra` params.
    func execute(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> CommandResult {
        var arguments = ["execute", "ha-iam", "--param", "user_name=\(user)", "--param", "profile=\(profile)"]
        for param in extra { arguments += ["--param", param] }
        return try await sandbox.run(arguments, environment: environment)
    }

    func awsFiles() -> [String: FileState] { sandbox.snapshot("aws") }

    // MARK: - Independent checks, through AWSKit with the admin's key

    func userExists() async throws -> Bool {
        do {
            _ = try await admin.getUser(userName: user)
            return true
        } catch let error as AWSError where error.isNoSuchEntity {
            return false
        }
    }

    func attachedPolicies() async throws -> Set<String> {
        Set(try await admin.listAttachedUserPolicies(userName: user).map(\.policyARN))
    }

    func tags() async throws -> [String: String] {
        Dictionary(try await admin.listUserTags(userName: user).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    func accessKeyIDs() async throws -> [String] {
        try await admin.listAccessKeys(userName: user).map(\.accessKeyID)
    }

    /// The real `aws` CLI, reading the profile the run wrote (no key in its environment).
    func awsCallerIdentity() async throws -> ProcessResult {
        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": sandbox.root.path,
            "AWS_SHARED_CREDENTIALS_FILE": credentialsFile,
            "AWS_CONFIG_FILE": configFile,
        ]
        return try await ProcessRunner.run("aws", ["sts", "get-caller-identity", "--profile", profile, "--endpoint-url",
                                                   moto.endpointURL.absoluteString, "--output", "json"], environment: environment)
    }

    /// The secret access key the run wrote into the credentials file for this profile.
    func writtenSecret() -> String? {
        guard let text = sandbox.read("aws/credentials") else { return nil }
        var inSection = false
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") { inSection = trimmed == "[\(profile)]" }
            if inSection, trimmed.hasPrefix("aws_secret_access_key") {
                return trimmed.split(separator: "=", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        return nil
    }

    var expectedARN: String { "arn:aws:iam::\(moto.accountID):user/\(user)" }

    /// Everything a completed run must leave: the user with exactly the document's four
    /// policies, the tags, one access key, and a profile the AWS CLI uses as that user.
    func expectCompleted(tags expected: [String: String] = [:], via: String = "user",
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(try await userExists(), sourceLocation: sourceLocation)
        if via == "user" {
            #expect(try await attachedPolicies() == Self.documentPolicies, sourceLocation: sourceLocation)
        }
        let tags = try await tags()
        for (key, value) in expected { #expect(tags[key] == value, sourceLocation: sourceLocation) }
        #expect(tags["runbook:run"] != nil, sourceLocation: sourceLocation)
        let keys = try await accessKeyIDs()
        #expect(keys.count == 1, "exactly one access key, found \(keys)", sourceLocation: sourceLocation)
        let identity = try await awsCallerIdentity()
        #expect(identity.succeeded, "\(identity.standardError)", sourceLocation: sourceLocation)
        #expect(identity.standardOutput.contains("\"Arn\": \"\(expectedARN)\""), "\(identity.standardOutput)",
                sourceLocation: sourceLocation)
        if let key = keys.first {
            #expect(sandbox.read("aws/credentials")?.contains(key) == true, sourceLocation: sourceLocation)
        }
    }

    /// Everything a rollback must leave: no user, the files as they were.
    func expectRolledBack(filesBefore: [String: FileState], keyWritten: String? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(try await !userExists(), "the user is deleted", sourceLocation: sourceLocation)
        #expect(awsFiles() == filesBefore, "credentials and config byte-identical to before", sourceLocation: sourceLocation)
    }
}
