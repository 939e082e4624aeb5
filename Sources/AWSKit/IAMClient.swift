/// AWS IAM over the Query API (version 2010-05-08): the operations the runbook's IAM steps
/// need. Every method is one logical call — list methods follow `Marker` through every
/// page — and throws `AWSError` (or `CancellationError`).
///
/// `pageSize` sets `MaxItems` per page; leave it nil for the service default.
public final class IAMClient: Sendable {
    private let query: QueryClient

    /// `httpClient` lets several clients share connections; by default each has its own.
    public init(configuration: AWSConfiguration, httpClient: HTTPClient? = nil) {
        query = QueryClient(service: .iam, configuration: configuration, http: httpClient)
    }

    // MARK: - Users

    /// The named user, or the calling user when `userName` is nil. Includes tags.
    public func getUser(userName: String? = nil) async throws -> IAMUser {
        var request = query.request("GetUser")
        request.add("UserName", ifPresent: userName)
        let response = try await query.send(request)
        return try query.decode(response, action: "GetUser") { result throws(XMLDecodingError) in
            try IAMUser(xml: try Self.element("User", in: result))
        }
    }

    public func createUser(userName: String, path: String? = nil, tags: [Tag] = []) async throws -> IAMUser {
        var request = query.request("CreateUser")
        request.add("UserName", userName)
        request.add("Path", ifPresent: path)
        if !tags.isEmpty { request.addTags(tags) }
        let response = try await query.send(request)
        return try query.decode(response, action: "CreateUser") { result throws(XMLDecodingError) in
            try IAMUser(xml: try Self.element("User", in: result))
        }
    }

    /// IAM refuses (`DeleteConflict`) while the user has keys, policies or groups.
    public func deleteUser(userName: String) async throws {
        var request = query.request("DeleteUser")
        request.add("UserName", userName)
        _ = try await query.send(request)
    }

    public func tagUser(userName: String, tags: [Tag]) async throws {
        var request = query.request("TagUser")
        request.add("UserName", userName)
        request.addTags(tags)
        _ = try await query.send(request)
    }

    public func untagUser(userName: String, tagKeys: [String]) async throws {
        var request = query.request("UntagUser")
        request.add("UserName", userName)
        request.addList("TagKeys", tagKeys)
        _ = try await query.send(request)
    }

    public func listUserTags(userName: String, pageSize: Int? = nil) async throws -> [Tag] {
        var request = query.request("ListUserTags")
        request.add("UserName", userName)
        return try await listMembers(request, listElement: "Tags", pageSize: pageSize, Tag.init(xml:))
    }

    // MARK: - User policies

    public func attachUserPolicy(userName: String, policyARN: String) async throws {
        var request = query.request("AttachUserPolicy")
        request.add("UserName", userName)
        request.add("PolicyArn", policyARN)
        _ = try await query.send(request)
    }

    public func detachUserPolicy(userName: String, policyARN: String) async throws {
        var request = query.request("DetachUserPolicy")
        request.add("UserName", userName)
        request.add("PolicyArn", policyARN)
        _ = try await query.send(request)
    }

    public func listAttachedUserPolicies(userName: String, pageSize: Int? = nil) async throws -> [AttachedPolicy] {
        var request = query.request("ListAttachedUserPolicies")
        request.add("UserName", userName)
        return try await listMembers(request, listElement: "AttachedPolicies", pageSize: pageSize, AttachedPolicy.init(xml:))
    }

    // MARK: - Access keys

    /// The only time IAM reveals the secret: keep it, or the key is useless.
    public func createAccessKey(userName: String) async throws -> AccessKey {
        var request = query.request("CreateAccessKey")
        request.add("UserName", userName)
        let response = try await query.send(request)
        return try query.decode(response, action: "CreateAccessKey") { result throws(XMLDecodingError) in
            try AccessKey(xml: try Self.element("AccessKey", in: result))
        }
    }

    public func listAccessKeys(userName: String, pageSize: Int? = nil) async throws -> [AccessKeyMetadata] {
        var request = query.request("ListAccessKeys")
        request.add("UserName", userName)
        return try await listMembers(request, listElement: "AccessKeyMetadata", pageSize: pageSize, AccessKeyMetadata.init(xml:))
    }

    public func deleteAccessKey(userName: String, accessKeyID: String) async throws {
        var request = query.request("DeleteAccessKey")
        request.add("UserName", userName)
        request.add("AccessKeyId", accessKeyID)
        _ = try await query.send(request)
    }

    // MARK: - Groups

    public func createGroup(groupName: String, path: String? = nil) async throws -> IAMGroup {
        var request = query.request("CreateGroup")
        request.add("GroupName", groupName)
        request.add("Path", ifPresent: path)
        let response = try await query.send(request)
        return try query.decode(response, action: "CreateGroup") { result throws(XMLDecodingError) in
            try IAMGroup(xml: try Self.element("Group", in: result))
        }
    }

    /// The group and all its members (GetGroup pages over the users).
    public func getGroup(groupName: String, pageSize: Int? = nil) async throws -> IAMGroupMembers {
        var request = query.request("GetGroup")
        request.add("GroupName", groupName)
        let pages = try await query.sendPaginated(request, pageSize: pageSize)
        guard let first = pages.first else {
            throw AWSError(kind: .malformedResponse, code: "MalformedResponse", message: "GetGroup returned no page",
                           attempts: 0, operation: "iam:GetGroup")
        }
        let group = try query.decode(first, action: "GetGroup") { result throws(XMLDecodingError) in
            try IAMGroup(xml: try Self.element("Group", in: result))
        }
        var users: [IAMUser] = []
        for page in pages {
            users += try query.decode(page, action: "GetGroup") { result throws(XMLDecodingError) in
                try Self.decodeMembers(result.members("Users"), IAMUser.init(xml:))
            }
        }
        return IAMGroupMembers(group: group, users: users)
    }

    /// IAM refuses (`DeleteConflict`) while the group has members or policies.
    public func deleteGroup(groupName: String) async throws {
        var request = query.request("DeleteGroup")
        request.add("GroupName", groupName)
        _ = try await query.send(request)
    }

    public func attachGroupPolicy(groupName: String, policyARN: String) async throws {
        var request = query.request("AttachGroupPolicy")
        request.add("GroupName", groupName)
        request.add("PolicyArn", policyARN)
        _ = try await query.send(request)
    }

    public func detachGroupPolicy(groupName: String, policyARN: String) async throws {
        var request = query.request("DetachGroupPolicy")
        request.add("GroupName", groupName)
        request.add("PolicyArn", policyARN)
        _ = try await query.send(request)
    }

    public func listAttachedGroupPolicies(groupName: String, pageSize: Int? = nil) async throws -> [AttachedPolicy] {
        var request = query.request("ListAttachedGroupPolicies")
        request.add("GroupName", groupName)
        return try await listMembers(request, listElement: "AttachedPolicies", pageSize: pageSize, AttachedPolicy.init(xml:))
    }

    public func addUserToGroup(userName: String, groupName: String) async throws {
        var request = query.request("AddUserToGroup")
        request.add("GroupName", groupName)
        request.add("UserName", userName)
        _ = try await query.send(request)
    }

    public func removeUserFromGroup(userName: String, groupName: String) async throws {
        var request = query.request("RemoveUserFromGroup")
        request.add("GroupName", groupName)
        request.add("UserName", userName)
        _ = try await query.send(request)
    }

    public func listGroupsForUser(userName: String, pageSize: Int? = nil) async throws -> [IAMGroup] {
        var request = query.request("ListGroupsForUser")
        request.add("UserName", userName)
        return try await listMembers(request, listElement: "Groups", pageSize: pageSize, IAMGroup.init(xml:))
    }

    // MARK: - Policies

    /// A managed policy by ARN; `NoSuchEntity` when there is none (how a plan spots a typo).
    public func getPolicy(policyARN: String) async throws -> ManagedPolicy {
        var request = query.request("GetPolicy")
        request.add("PolicyArn", policyARN)
        let response = try await query.send(request)
        return try query.decode(response, action: "GetPolicy") { result throws(XMLDecodingError) in
            try ManagedPolicy(xml: try Self.element("Policy", in: result))
        }
    }

    // MARK: - Helpers

    private func listMembers<Item>(_ request: QueryRequest, listElement: String, pageSize: Int?,
                                   _ decode: @escaping (XMLResponse) throws(XMLDecodingError) -> Item) async throws -> [Item] {
        let pages = try await query.sendPaginated(request, pageSize: pageSize)
        var items: [Item] = []
        for page in pages {
            items += try query.decode(page, action: request.action) { result throws(XMLDecodingError) in
                try Self.decodeMembers(result.members(listElement), decode)
            }
        }
        return items
    }

    private static func decodeMembers<Item>(_ members: [XMLResponse],
                                            _ decode: (XMLResponse) throws(XMLDecodingError) -> Item) throws(XMLDecodingError) -> [Item] {
        var items: [Item] = []
        items.reserveCapacity(members.count)
        for member in members {
            items.append(try decode(member))
        }
        return items
    }

    private static func element(_ name: String, in result: XMLResponse) throws(XMLDecodingError) -> XMLResponse {
        guard let element = result.child(name) else { throw XMLDecodingError.missingElement(name, in: result.name) }
        return element
    }
}
