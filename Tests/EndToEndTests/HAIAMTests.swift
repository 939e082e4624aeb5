import AWSKit
import Foundation
import Testing
import TestSupport

/// The ha-iam runbook against moto_server (signature checking on) and the real `aws` CLI.
@Suite("ha-iam against a local IAM endpoint")
struct HAIAMTests {
    @Test func aFullRunThenRollback() async throws {
        let world = try await IAMWorld(user: "ha-full")
        let before = world.awsFiles()
        let run = try await world.execute(["tags={team: platform, purpose: chef-automate-ha}", "csv_path=\(world.sandbox.path("key.csv"))"])
        #expect(run.status == 0, "\(run)")
        try await world.expectCompleted(tags: ["team": "platform", "purpose": "chef-automate-ha"])

        // The other profiles are untouched; the new one holds the new key.
        let credentials = try #require(world.sandbox.read("aws/credentials"))
        #expect(credentials.hasPrefix(IAMWorld.existingCredentials), "other profiles and comments kept byte for byte")
        #expect(world.sandbox.read("aws/config")?.contains("[profile \(world.profile)]\nregion = us-east-1") == true)
        let csv = try #require(world.sandbox.read("key.csv"))
        let keyID = try #require(try await world.accessKeyIDs().first)
        let secret = try #require(world.writtenSecret())
        #expect(csv == "Access key ID,Secret access key\n\(keyID),\(secret)\n")
        #expect(world.sandbox.snapshot("")["key.csv"]?.mode == 0o600)

        let undo = try await world.sandbox.run("rollback")
        #expect(undo.status == 0, "\(undo)")
        try await world.expectRolledBack(filesBefore: before)
        #expect(!world.sandbox.exists("key.csv"))
        let identity = try await world.awsCallerIdentity()
        #expect(!identity.succeeded, "the deleted key no longer authenticates")
    }

    @Test func attachingThroughAGroup() async throws {
        let world = try await IAMWorld(user: "ha-group")
        let before = world.awsFiles()
        let run = try await world.execute(["attach_via=group", "group_name=ha-group-admins"])
        #expect(run.status == 0, "\(run)")
        try await world.expectCompleted(via: "group")
        #expect(try await world.attachedPolicies().isEmpty, "no policy directly on the user")
        let groups = try await world.admin.listGroupsForUser(userName: world.user).map(\.groupName)
        #expect(groups == ["ha-group-admins"])
        let groupPolicies = Set(try await world.admin.listAttachedGroupPolicies(groupName: "ha-group-admins").map(\.policyARN))
        #expect(groupPolicies == IAMWorld.documentPolicies)

        let undo = try await world.sandbox.run("rollback")
        #expect(undo.status == 0, "\(undo)")
        try await world.expectRolledBack(filesBefore: before)
        await #expect(throws: AWSError.self) { try await world.admin.getGroup(groupName: "ha-group-admins") }
    }

    @Test func anExistingUserBlocksUnlessAdoptedAndIsLeftAsFound() async throws {
        let world = try await IAMWorld(user: "ha-adopt")
        _ = try await world.admin.createUser(userName: world.user, tags: [AWSKit.Tag(key: "team", value: "old-team")])
        try await world.admin.attachUserPolicy(userName: world.user, policyARN: "arn:aws:iam::aws:policy/IAMFullAccess")

        let blocked = try await world.execute()
        #expect(blocked.status == 1, "\(blocked)")
        #expect(blocked.stderr.contains("IAM user ha-adopt already exists") && blocked.stderr.contains("adopt=true"), "\(blocked)")
        let runs = try #require(try await world.sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        #expect(runs.isEmpty, "a blocked run changes nothing and records nothing")

        let before = world.awsFiles()
        let adopted = try await world.execute(["adopt=true", "tags={team: platform, cost: ha}"])
        #expect(adopted.status == 0, "\(adopted)")
        #expect(try await world.attachedPolicies() == IAMWorld.documentPolicies)
        #expect(try await world.tags() == ["team": "platform", "cost": "ha"], "no ownership tag on a user we did not create")

        let undo = try await world.sandbox.run("rollback")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await world.userExists(), "an adopted user is left")
        #expect(try await world.attachedPolicies() == ["arn:aws:iam::aws:policy/IAMFullAccess"], "the pre-attached policy stays")
        #expect(try await world.tags() == ["team": "old-team"], "tags restored to their old values")
        #expect(try await world.accessKeyIDs().isEmpty, "the run's key is deleted")
        #expect(world.awsFiles() == before)
        try await world.admin.detachUserPolicy(userName: world.user, policyARN: "arn:aws:iam::aws:policy/IAMFullAccess")
        try await world.admin.deleteUser(userName: world.user)
    }

    @Test func aPreExistingProfileOfTheSameNameIsRestoredByteForByte() async throws {
        let world = try await IAMWorld(user: "ha-profile", profile: "other")
        let before = world.awsFiles()
        let run = try await world.execute()
        #expect(run.status == 0, "\(run)")
        #expect(world.sandbox.read("aws/credentials")?.contains("AKIAEXISTINGOTHER001") == false, "the profile now holds the new key")
        try await world.expectCompleted()
        let undo = try await world.sandbox.run("rollback")
        #expect(undo.status == 0, "\(undo)")
        try await world.expectRolledBack(filesBefore: before)
    }

    @Test func accessDeniedNamesThePermissionAndTheRunResumesOnceGranted() async throws {
        let world = try await IAMWorld(user: "ha-denied")
        // An operator whose key may read IAM but not change it.
        let operatorName = "ha-denied-operator"
        _ = try await world.admin.createUser(userName: operatorName)
        try await world.admin.attachUserPolicy(userName: operatorName, policyARN: "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        let key = try await world.admin.createAccessKey(userName: operatorName)
        let asOperator = ["AWS_ACCESS_KEY_ID": key.accessKeyID, "AWS_SECRET_ACCESS_KEY": key.secretAccessKey]

        let denied = try await world.execute(environment: asOperator)
        #expect(denied.status == 1, "\(denied)")
        #expect(denied.stdout.contains("AccessDenied") && denied.stdout.contains("iam:CreateUser"), "\(denied)")
        #expect(denied.stdout.contains("runbook resume "), "\(denied)")
        #expect(try await !world.userExists())

        try await world.admin.attachUserPolicy(userName: operatorName, policyARN: "arn:aws:iam::aws:policy/AdministratorAccess")
        let resumed = try await world.sandbox.run(["resume"], environment: asOperator)
        #expect(resumed.status == 0, "\(resumed)")
        try await world.expectCompleted()
    }

    @Test func aUserAtTheKeyLimitIsReportedBeforeAnyChange() async throws {
        let world = try await IAMWorld(user: "ha-keys")
        _ = try await world.admin.createUser(userName: world.user)
        _ = try await world.admin.createAccessKey(userName: world.user)
        _ = try await world.admin.createAccessKey(userName: world.user)
        let result = try await world.execute(["adopt=true"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("already has 2 access keys"), "\(result)")
        #expect(try await world.attachedPolicies().isEmpty, "nothing was changed")
    }

    @Test func badInputIsRefusedBeforeAnyCall() async throws {
        let world = try await IAMWorld(user: "ha-bad")
        func refused(_ params: [String], _ fragment: String, status: Int32 = 2,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let result = try await world.execute(params)
            #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(fragment), "missing \(fragment) in \(result)", sourceLocation: sourceLocation)
        }
        try await refused(["user_name=bad name!"], "--param user_name: 'bad name!' does not match the pattern")
        try await refused(["user_name=\(String(repeating: "u", count: 65))"], "does not match the pattern")
        try await refused(["policies=[arn:aws:iam::aws:policy/NoSuchPolicyEver]"],
                          "policy arn:aws:iam::aws:policy/NoSuchPolicyEver does not exist", status: 1)
        try await refused(["policies=[not-an-arn]"], "item not-an-arn does not match the pattern")
        let tags = "{" + (1...51).map { "k\($0): v" }.joined(separator: ", ") + "}"
        try await refused(["tags=\(tags)"], "input 'tags': 51 tags; IAM allows 50 per user")
        try await refused(["tags={k: \(String(repeating: "v", count: 257))}"], "IAM allows 256")
        try await refused(["profile=\"a\\nb\""], "--param profile:")
        #expect(try await !world.userExists())
        #expect(try await world.sandbox.runCount() == 0, "no run was recorded")
    }

    @Test func anUnreadableCredentialsFileIsAClearErrorBeforeAnyChange() async throws {
        let world = try await IAMWorld(user: "ha-nocreds")
        try world.sandbox.write("broken/credentials", "not an ini file [", mode: 0o000)
        let result = try await world.execute(environment: [
            "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
            "AWS_SHARED_CREDENTIALS_FILE": world.sandbox.path("broken/credentials"),
        ])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("credentials"), "\(result)")
        #expect(try await !world.userExists())
    }

    @Test func dryRunMakesReadOnlyCallsOnly() async throws {
        let world = try await IAMWorld(user: "ha-dry", privateServer: true)
        defer { world.moto.stop() }
        // Something for the plan to find: a policy already attached to an existing group.
        _ = try await world.admin.createGroup(groupName: "ha-dry-group")
        try await world.admin.attachGroupPolicy(groupName: "ha-dry-group", policyARN: "arn:aws:iam::aws:policy/IAMFullAccess")
        let before = try await motoState(world.moto)
        let files = world.sandbox.snapshot("")
        let dry = try await world.sandbox.run(["execute", "ha-iam", "--dry-run", "--param", "user_name=\(world.user)",
                                               "--param", "profile=\(world.profile)", "--param", "attach_via=group",
                                               "--param", "group_name=ha-dry-group", "--param", "adopt=true"])
        #expect(dry.status == 0, "\(dry)")
        let lines = dry.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  + create-user") }, "\(dry)")
        #expect(lines.contains { $0.hasPrefix("  = create-group") && $0.contains("adopt existing IAM group ha-dry-group") }, "\(dry)")
        #expect(lines.contains { $0.hasPrefix("  = attach-group-policy[IAMFullAccess]") && $0.contains("already attached") }, "\(dry)")
        #expect(lines.contains { $0.hasPrefix("  + attach-group-policy[AdministratorAccess]") }, "\(dry)")
        #expect(lines.contains { $0.hasPrefix("  + access-key") }, "\(dry)")
        #expect(lines.contains("rollback plan (newest first):"))
        #expect(try await motoState(world.moto) == before, "moto's state is identical after the dry run")
        #expect(world.sandbox.snapshot("").filter { !$0.key.hasPrefix(".out-") } == files, "no file written")
        #expect(!world.sandbox.exists("home"))
        try await world.admin.detachGroupPolicy(groupName: "ha-dry-group", policyARN: "arn:aws:iam::aws:policy/IAMFullAccess")
        try await world.admin.deleteGroup(groupName: "ha-dry-group")
    }

    @Test func dryRunWithoutCredentialsShowsTheStaticPlan() async throws {
        let world = try await IAMWorld(user: "ha-dry-nocreds")
        let dry = try await world.sandbox.run(["execute", "ha-iam", "--dry-run", "--param", "user_name=\(world.user)"],
                                              environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                                                            "AWS_SHARED_CREDENTIALS_FILE": world.sandbox.path("none/credentials"),
                                                            "AWS_CONFIG_FILE": world.sandbox.path("none/config")])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("? create-user"), "\(dry)")
        #expect(dry.stdout.contains("live state not checked"), "\(dry)")
        #expect(dry.stdout.contains("could not be checked against live state"), "\(dry)")
    }
}

/// moto's whole state, from its internal API: to prove a dry run changed nothing.
func motoState(_ moto: MotoServer) async throws -> String {
    let url = moto.endpointURL.appendingPathComponent("moto-api/data.json").absoluteString
    let result = try await ProcessRunner.run("curl", ["-sf", url])
    #expect(result.succeeded, "moto's state API: \(result.standardError)")
    return result.standardOutput
}
