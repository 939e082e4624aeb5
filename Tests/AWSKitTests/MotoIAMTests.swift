import AWSKit
import Foundation
import Testing
import TestSupport

/// Every IAM and STS operation against moto with signature checking on: each request below
/// is signed by AWSKit and verified by moto with the key it was signed with.
@Suite("IAM and STS against moto_server")
struct MotoIAMTests {
    let admin = AWSPolicyARN.administratorAccess

    @Test func getCallerIdentityNamesTheAdmin() async throws {
        let moto = try await SharedMoto.server()
        let sts = STSClient(configuration: try await SharedMoto.adminConfiguration())
        let identity = try await sts.getCallerIdentity()
        #expect(identity.account == moto.accountID)
        #expect(identity.arn == "arn:aws:iam::\(moto.accountID):user/\(moto.adminUserName)")
        #expect(!identity.userID.isEmpty)
    }

    @Test func userLifecycleWithTags() async throws {
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let name = SharedMoto.uniqueName("user")
        let tags = [IAMTag(key: "runbook:run", value: "run-1"), IAMTag(key: "team", value: "platform ops")]

        let created = try await iam.createUser(userName: name, path: "/runbook/", tags: tags)
        #expect(created.userName == name)
        #expect(created.path == "/runbook/")
        #expect(created.arn.hasSuffix(":user/runbook/\(name)"))
        #expect(created.createDate != nil)

        let fetched = try await iam.getUser(userName: name)
        #expect(fetched.userID == created.userID)
        #expect(Set(fetched.tags) == Set(tags))

        try await iam.tagUser(userName: name, tags: [IAMTag(key: "extra", value: "1"), IAMTag(key: "team", value: "sre")])
        var listed = try await iam.listUserTags(userName: name)
        #expect(Set(listed) == [IAMTag(key: "runbook:run", value: "run-1"), IAMTag(key: "team", value: "sre"),
                                IAMTag(key: "extra", value: "1")])

        try await iam.untagUser(userName: name, tagKeys: ["extra", "team"])
        listed = try await iam.listUserTags(userName: name)
        #expect(listed == [IAMTag(key: "runbook:run", value: "run-1")])

        try await iam.deleteUser(userName: name)
        let error = try await #require(throws: AWSError.self) { try await iam.getUser(userName: name) }
        #expect(error.isNoSuchEntity)
        #expect(error.code == "NoSuchEntity")
        #expect(error.httpStatus == 404)
        #expect(error.attempts == 1)
        #expect(error.requestID?.isEmpty == false)
        #expect(error.message.contains(name))
    }

    @Test func getUserWithoutANameIsTheCaller() async throws {
        let moto = try await SharedMoto.server()
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let me = try await iam.getUser()
        #expect(me.userName == moto.adminUserName)
    }

    @Test func createUserTwiceIsEntityAlreadyExists() async throws {
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let name = SharedMoto.uniqueName("dup")
        _ = try await iam.createUser(userName: name)
        let error = try await #require(throws: AWSError.self) { try await iam.createUser(userName: name) }
        #expect(error.isEntityAlreadyExists)
        #expect(error.httpStatus == 409)
        try await iam.deleteUser(userName: name)
    }

    @Test func userPoliciesAttachListPageAndDetach() async throws {
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let name = SharedMoto.uniqueName("pol")
        _ = try await iam.createUser(userName: name)
        let policies = [AWSPolicyARN.administratorAccess, AWSPolicyARN.readOnlyAccess, AWSPolicyARN.iamReadOnlyAccess]
        for arn in policies {
            try await iam.attachUserPolicy(userName: name, policyARN: arn)
        }
        // Three policies one per page: two truncated pages and a last one, followed by Marker.
        let paged = try await iam.listAttachedUserPolicies(userName: name, pageSize: 1)
        #expect(paged.map(\.policyARN).sorted() == policies.sorted())
        #expect(paged.first { $0.policyARN == AWSPolicyARN.readOnlyAccess }?.policyName == "ReadOnlyAccess")
        let unpaged = try await iam.listAttachedUserPolicies(userName: name)
        #expect(unpaged == paged)

        for arn in policies {
            try await iam.detachUserPolicy(userName: name, policyARN: arn)
        }
        #expect(try await iam.listAttachedUserPolicies(userName: name).isEmpty)
        try await iam.deleteUser(userName: name)
    }

    @Test func attachingAnUnknownPolicyIsNoSuchEntity() async throws {
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let name = SharedMoto.uniqueName("nopol")
        _ = try await iam.createUser(userName: name)
        let error = try await #require(throws: AWSError.self) {
            try await iam.attachUserPolicy(userName: name, policyARN: "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")
        }
        #expect(error.isNoSuchEntity)
        try await iam.deleteUser(userName: name)
    }

    @Test func accessKeysCreateListUseAndDelete() async throws {
        let configuration = try await SharedMoto.adminConfiguration()
        let iam = IAMClient(configuration: configuration)
        let name = SharedMoto.uniqueName("keys")
        _ = try await iam.createUser(userName: name)

        let first = try await iam.createAccessKey(userName: name)
        let second = try await iam.createAccessKey(userName: name)
        #expect(first.userName == name)
        #expect(first.status == .active)
        #expect(first.accessKeyID != second.accessKeyID)
        #expect(!first.secretAccessKey.isEmpty)
        expectNoSecrets([first.description, String(reflecting: first), "\(first)"], secrets: [first.secretAccessKey])

        let listed = try await iam.listAccessKeys(userName: name, pageSize: 1)
        #expect(Set(listed.map(\.accessKeyID)) == [first.accessKeyID, second.accessKeyID])
        #expect(listed.allSatisfy { $0.status == .active && $0.userName == name })

        // The verify step of the runbook: the new key proves itself with GetCallerIdentity.
        let asNewUser = STSClient(configuration: configuration.withCredentials(first.credentials))
        let identity = try await asNewUser.getCallerIdentity()
        #expect(identity.arn.hasSuffix(":user/\(name)"))

        for key in [first, second] {
            try await iam.deleteAccessKey(userName: name, accessKeyID: key.accessKeyID)
        }
        #expect(try await iam.listAccessKeys(userName: name).isEmpty)

        // A deleted key is unknown to the service from then on.
        let error = try await #require(throws: AWSError.self) { try await asNewUser.getCallerIdentity() }
        #expect(error.code == "InvalidClientTokenId")
        try await iam.deleteUser(userName: name)
    }

    @Test func groupLifecycleMembershipAndPolicies() async throws {
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let group = SharedMoto.uniqueName("group")
        let users = [SharedMoto.uniqueName("member"), SharedMoto.uniqueName("member"), SharedMoto.uniqueName("member")]

        let created = try await iam.createGroup(groupName: group, path: "/runbook/")
        #expect(created.groupName == group)
        #expect(created.path == "/runbook/")
        for user in users {
            _ = try await iam.createUser(userName: user)
            try await iam.addUserToGroup(userName: user, groupName: group)
        }

        let members = try await iam.getGroup(groupName: group, pageSize: 2)
        #expect(members.group.groupID == created.groupID)
        #expect(Set(members.users.map(\.userName)) == Set(users))

        let groups = try await iam.listGroupsForUser(userName: users[0], pageSize: 1)
        #expect(groups.map(\.groupName) == [group])

        let policies = [AWSPolicyARN.readOnlyAccess, AWSPolicyARN.iamReadOnlyAccess, AWSPolicyARN.administratorAccess]
        for arn in policies {
            try await iam.attachGroupPolicy(groupName: group, policyARN: arn)
        }
        let attached = try await iam.listAttachedGroupPolicies(groupName: group, pageSize: 2)
        #expect(attached.map(\.policyARN).sorted() == policies.sorted())

        // IAM's order of tear-down: policies and members first, then the group and users.
        for arn in policies {
            try await iam.detachGroupPolicy(groupName: group, policyARN: arn)
        }
        #expect(try await iam.listAttachedGroupPolicies(groupName: group).isEmpty)
        for user in users {
            try await iam.removeUserFromGroup(userName: user, groupName: group)
        }
        #expect(try await iam.getGroup(groupName: group).users.isEmpty)
        #expect(try await iam.listGroupsForUser(userName: users[0]).isEmpty)
        try await iam.deleteGroup(groupName: group)
        for user in users {
            try await iam.deleteUser(userName: user)
        }
        let error = try await #require(throws: AWSError.self) { try await iam.getGroup(groupName: group) }
        #expect(error.isNoSuchEntity)
    }

    @Test func getPolicyDescribesAManagedPolicyAndRejectsAnUnknownARN() async throws {
        let iam = IAMClient(configuration: try await SharedMoto.adminConfiguration())
        let policy = try await iam.getPolicy(policyARN: AWSPolicyARN.readOnlyAccess)
        #expect(policy.policyName == "ReadOnlyAccess")
        #expect(policy.arn == AWSPolicyARN.readOnlyAccess)
        #expect(policy.isAttachable)
        #expect(policy.defaultVersionID?.hasPrefix("v") == true)

        let error = try await #require(throws: AWSError.self) {
            try await iam.getPolicy(policyARN: "arn:aws:iam::aws:policy/AdministratorAcess")
        }
        #expect(error.isNoSuchEntity)
        #expect(error.kind == .service)
    }

    @Test func aWrongSecretIsSignatureDoesNotMatch() async throws {
        let moto = try await SharedMoto.server()
        let wrong = AWSCredentials(accessKeyID: moto.adminAccessKeyID, secretAccessKey: "wrong-secret-for-the-admin-key-0000")
        let configuration = try await SharedMoto.adminConfiguration().withCredentials(wrong)
        for call in [{ _ = try await IAMClient(configuration: configuration).getUser() },
                     { _ = try await STSClient(configuration: configuration).getCallerIdentity() }] as [@Sendable () async throws -> Void] {
            let error = try await #require(throws: AWSError.self) { try await call() }
            #expect(error.code == "SignatureDoesNotMatch")
            #expect(error.isAuthenticationFailure)
            #expect(!error.isRetryable)
            #expect(error.attempts == 1)
            #expect(error.httpStatus == 403)
            expectNoSecrets(renderings(of: error), secrets: [wrong.secretAccessKey, moto.adminSecretAccessKey])
        }
    }

    @Test func anUnknownKeyIsInvalidClientTokenId() async throws {
        let unknown = AWSCredentials(accessKeyID: "AKIAUNKNOWNKEY000000", secretAccessKey: "unknown-secret-0000000000000000")
        let configuration = try await SharedMoto.adminConfiguration().withCredentials(unknown)
        let error = try await #require(throws: AWSError.self) {
            try await STSClient(configuration: configuration).getCallerIdentity()
        }
        #expect(error.code == "InvalidClientTokenId")
        #expect(error.isAuthenticationFailure)
        #expect(error.attempts == 1)
        // moto sends this one in the ErrorResponse/Errors/Error shape, with the request id
        // only in the x-amzn-RequestId header.
        #expect(error.requestID?.isEmpty == false)
        expectNoSecrets(renderings(of: error), secrets: [unknown.secretAccessKey])
    }

    @Test func diagnosticsReportTheIdentityFromResolvedSettings() async throws {
        let moto = try await SharedMoto.server()
        let home = try TemporaryDirectory()
        var environment = moto.awsEnvironment
        environment["AWS_MAX_ATTEMPTS"] = "2"
        let report = await AWSDiagnostics.run(resolver: AWSConfigurationResolver(environment: environment, homeDirectory: home.path))
        #expect(report.isHealthy)
        #expect(report.problems.isEmpty)
        #expect(report.credentialSource == CredentialSource.environment.description)
        #expect(report.maskedAccessKeyID == "****" + moto.adminAccessKeyID.suffix(4))
        #expect(report.region == "us-east-1")
        #expect(report.endpoints.map(\.url) == [moto.endpointURL.absoluteString, moto.endpointURL.absoluteString])
        #expect(report.endpoints.map(\.source) == ["environment variable AWS_ENDPOINT_URL", "environment variable AWS_ENDPOINT_URL"])
        #expect(report.identity?.arn.hasSuffix(":user/\(moto.adminUserName)") == true)
        #expect(report.maxAttempts == 2)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        expectNoSecrets([report.description, json], secrets: [moto.adminSecretAccessKey])
    }

    @Test func diagnosticsReportAnAuthenticationFailureWithItsCodeAndAttempts() async throws {
        let moto = try await SharedMoto.server()
        let home = try TemporaryDirectory()
        var environment = moto.awsEnvironment
        environment["AWS_SECRET_ACCESS_KEY"] = "definitely-not-the-admin-secret-000"
        let report = await AWSDiagnostics.run(resolver: AWSConfigurationResolver(environment: environment, homeDirectory: home.path))
        #expect(!report.isHealthy)
        #expect(report.identity == nil)
        #expect(report.identityError?.code == "SignatureDoesNotMatch")
        #expect(report.identityError?.attempts == 1)
        #expect(report.identityError?.httpStatus == 403)
        #expect(report.description.contains("SignatureDoesNotMatch"))
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        expectNoSecrets([report.description, json], secrets: [environment["AWS_SECRET_ACCESS_KEY"] ?? "", moto.adminSecretAccessKey])
    }
}

/// AWS managed policies moto loads with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`.
enum AWSPolicyARN {
    static let administratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"
    static let readOnlyAccess = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    static let iamReadOnlyAccess = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
}
