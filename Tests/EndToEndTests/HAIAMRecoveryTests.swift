import AWSKit
import Foundation
import Testing
import TestSupport

/// The ha-iam crash matrix: for every instance and every failpoint the process SIGKILLs
/// itself; `resume` must reach exactly the state of an uninterrupted run (one key, no
/// orphan), and `rollback` must leave no user, no key that authenticates, and the AWS CLI
/// files byte-identical to before the run.
@Suite("ha-iam recovery after SIGKILL")
struct HAIAMRecoveryTests {
    static let instances = [
        "create-user", "attach-policy[AdministratorAccess]", "attach-policy[AmazonAPIGatewayAdministrator]",
        "attach-policy[AmazonS3FullAccess]", "attach-policy[IAMFullAccess]", "tag-user", "access-key", "profile", "csv", "verify",
    ]
    static let forwardPoints = ["before-apply", "after-apply", "after-checkpoint"]
    static let rollbackPoints = ["before-rollback", "after-rollback"]

    static func userName(_ instance: String, _ point: String) -> String {
        let label = instance.replacingOccurrences(of: "attach-policy[", with: "ap-").replacingOccurrences(of: "]", with: "")
            .replacingOccurrences(of: "Amazon", with: "").replacingOccurrences(of: "Administrator", with: "Adm")
        return "m-\(label)-\(point)"
    }

    static func params(_ world: IAMWorld) -> [String] {
        ["tags={team: platform}", "csv_path=\(world.sandbox.path("key.csv"))"]
    }

    static var forwardCases: [(String, String)] { instances.flatMap { i in forwardPoints.map { (i, $0) } } }
    static var rollbackCases: [(String, String)] { instances.flatMap { i in rollbackPoints.map { (i, $0) } } }

    @Test("killed while executing, then resumed and rolled back", arguments: forwardCases)
    func killedWhileExecuting(instance: String, point: String) async throws {
        let world = try await IAMWorld(user: Self.userName(instance, point))
        let before = world.awsFiles()
        let crashed = try await world.execute(Self.params(world), environment: ["RUNBOOK_FAILPOINT": "\(instance):\(point)"])
        #expect(crashed.signaled && crashed.status == SIGKILL, "\(crashed)")

        let resumed = try await world.sandbox.run("resume")
        #expect(resumed.status == 0, "\(resumed)")
        try await world.expectCompleted(tags: ["team": "platform"])
        let secret = try #require(world.writtenSecret())
        let keyID = try #require(try await world.accessKeyIDs().first)
        #expect(world.sandbox.read("key.csv") == "Access key ID,Secret access key\n\(keyID),\(secret)\n")

        let undone = try await world.sandbox.run("rollback")
        #expect(undone.status == 0, "\(undone)")
        try await world.expectRolledBack(filesBefore: before)
        #expect(!world.sandbox.exists("key.csv"))
        try await expectKeyRejected(world, keyID: keyID, secret: secret)
    }

    @Test("killed while rolling back, then rolled back again", arguments: rollbackCases)
    func killedWhileRollingBack(instance: String, point: String) async throws {
        let world = try await IAMWorld(user: Self.userName(instance, point))
        let before = world.awsFiles()
        let run = try await world.execute(Self.params(world))
        #expect(run.status == 0, "\(run)")
        let secret = try #require(world.writtenSecret())
        let keyID = try #require(try await world.accessKeyIDs().first)

        let crashed = try await world.sandbox.run(["rollback"], environment: ["RUNBOOK_FAILPOINT": "\(instance):\(point)"])
        #expect(crashed.signaled && crashed.status == SIGKILL, "\(crashed)")
        let finished = try await world.sandbox.run("rollback")
        #expect(finished.status == 0, "\(finished)")
        try await world.expectRolledBack(filesBefore: before)
        try await expectKeyRejected(world, keyID: keyID, secret: secret)
    }

    func expectKeyRejected(_ world: IAMWorld, keyID: String, secret: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let configuration = try AWSConfiguration.resolve(environment: world.moto.awsEnvironment, homeDirectory: world.sandbox.root.path)
        let sts = STSClient(configuration: configuration.withCredentials(AWSCredentials(accessKeyID: keyID, secretAccessKey: secret)))
        await #expect(throws: AWSError.self, "the run's key no longer authenticates", sourceLocation: sourceLocation) {
            try await sts.getCallerIdentity()
        }
    }
}

/// Secrets of a real ha-iam run (issue 5).
@Suite("ha-iam secrets")
struct HAIAMSecretTests {
    @Test(arguments: [false, true])
    func theSecretKeyIsInNoByteOfTheStoreAndNoOutput(keepSecrets: Bool) async throws {
        let world = try await IAMWorld(user: keepSecrets ? "sec-keep" : "sec-purge")
        var outputs: [CommandResult] = []
        outputs.append(try await world.sandbox.run(["execute", "ha-iam", "--dry-run", "--param", "user_name=\(world.user)"]))
        var arguments = ["execute", "ha-iam", "--param", "user_name=\(world.user)", "--param", "profile=\(world.profile)",
                         "--param", "csv_path=\(world.sandbox.path("key.csv"))", "--output", "json"]
        if keepSecrets { arguments.append("--keep-secrets") }
        let run = try await world.sandbox.run(arguments)
        #expect(run.status == 0, "\(run)")
        outputs.append(run)
        let runID = try #require((try run.json() as? [String: Any])?["id"] as? String)
        for command in [["status"], ["status", "--output", "json"], ["runs"], ["runs", "--output", "json"], ["log", runID],
                        ["log", runID, "--output", "json"], ["output", runID, "access-key.secret_access_key"]] {
            outputs.append(try await world.sandbox.run(command))
        }
        let secret = try #require(world.writtenSecret())
        #expect(secret.count >= 20)
        for result in outputs {
            #expect(!result.output.contains(secret), "the secret leaked into:\n\(result)")
        }
        for (name, state) in world.sandbox.snapshot("home") {
            #expect(state.data?.range(of: Data(secret.utf8)) == nil, "the secret is in plain text in \(name)")
        }
        let revealed = try await world.sandbox.run("output", runID, "access-key.secret_access_key", "--reveal")
        #expect(keepSecrets ? revealed.stdout == secret + "\n" : revealed.stderr.contains("was purged"), "\(revealed)")
    }

    @Test func aCrashRightAfterTheKeyIsCheckpointedDeliversTheSameKey() async throws {
        let world = try await IAMWorld(user: "sec-crash")
        let crashed = try await world.execute(environment: ["RUNBOOK_FAILPOINT": "access-key:after-checkpoint"])
        #expect(crashed.signaled, "\(crashed)")
        let keysAtCrash = try await world.accessKeyIDs()
        #expect(keysAtCrash.count == 1)
        let resumed = try await world.sandbox.run("resume")
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await world.accessKeyIDs() == keysAtCrash, "no second key: the sealed secret survived the crash")
        try await world.expectCompleted()
    }
}

/// Ten operators' runs at once on one state database, each for its own user.
@Suite("ha-iam in parallel")
struct HAIAMParallelTests {
    @Test func tenRunsForTenUsersAllSucceed() async throws {
        let world = try await IAMWorld(user: "par-0")
        let processes = try (0..<10).map { i in
            try world.sandbox.start(["execute", "ha-iam", "--param", "user_name=par-\(i)", "--param", "profile=par-\(i)"])
        }
        var results: [CommandResult] = []
        for process in processes { results.append(try await process.finish()) }
        for result in results { #expect(result.status == 0, "\(result)") }
        let runs = try #require(try await world.sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        #expect(runs.count == 10 && runs.allSatisfy { $0["state"] as? String == "succeeded" })
        for i in 0..<10 {
            #expect(try await world.admin.listAccessKeys(userName: "par-\(i)").count == 1)
            #expect(world.sandbox.read("aws/credentials")?.contains("[par-\(i)]") == true)
        }
    }
}
