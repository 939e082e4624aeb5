import Foundation

// Typed results of the IAM operations. Each decodes from the Query API's XML element of
// the same name; a required element that is missing makes the call fail as
// `AWSError.Kind.malformedResponse` instead of yielding half a value.

/// A key/value tag on an IAM entity.
public struct Tag: Sendable, Hashable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        key = try xml.required("Key")
        value = xml.string("Value") ?? ""
    }
}

public struct IAMUser: Sendable, Hashable, Codable {
    public var userName: String
    public var userID: String
    public var arn: String
    public var path: String
    public var createDate: Date?
    /// Present in GetUser and CreateUser answers; empty in list answers, which omit tags.
    public var tags: [Tag]

    public init(userName: String, userID: String, arn: String, path: String = "/", createDate: Date? = nil, tags: [Tag] = []) {
        self.userName = userName
        self.userID = userID
        self.arn = arn
        self.path = path
        self.createDate = createDate
        self.tags = tags
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        userName = try xml.required("UserName")
        userID = try xml.required("UserId")
        arn = try xml.required("Arn")
        path = xml.string("Path") ?? "/"
        createDate = xml.date("CreateDate")
        var tags: [Tag] = []
        for member in xml.members("Tags") {
            tags.append(try Tag(xml: member))
        }
        self.tags = tags
    }
}

/// A managed policy attached to a user or group.
public struct AttachedPolicy: Sendable, Hashable, Codable {
    public var policyName: String
    public var policyARN: String

    public init(policyName: String, policyARN: String) {
        self.policyName = policyName
        self.policyARN = policyARN
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        policyName = try xml.required("PolicyName")
        policyARN = try xml.required("PolicyArn")
    }
}

/// `Active`, `Inactive` or `Expired`; other values IAM may add are kept as they are.
public struct AccessKeyStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let active = AccessKeyStatus(rawValue: "Active")
    public static let inactive = AccessKeyStatus(rawValue: "Inactive")
    public static let expired = AccessKeyStatus(rawValue: "Expired")

    public var description: String { rawValue }
}

/// A new access key with its secret, which IAM returns only once, from CreateAccessKey.
///
/// Printing it shows the key id masked and never the secret. It is deliberately not
/// `Codable`, so it cannot be serialised by accident.
public struct AccessKey: Sendable, Hashable {
    public var userName: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var status: AccessKeyStatus
    public var createDate: Date?

    public init(userName: String, accessKeyID: String, secretAccessKey: String, status: AccessKeyStatus, createDate: Date? = nil) {
        self.userName = userName
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.status = status
        self.createDate = createDate
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        userName = try xml.required("UserName")
        accessKeyID = try xml.required("AccessKeyId")
        secretAccessKey = try xml.required("SecretAccessKey")
        status = AccessKeyStatus(rawValue: try xml.required("Status"))
        createDate = xml.date("CreateDate")
    }

    /// Credentials to sign requests with this key.
    public var credentials: AWSCredentials {
        AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey)
    }

    /// The key without its secret.
    public var metadata: AccessKeyMetadata {
        AccessKeyMetadata(userName: userName, accessKeyID: accessKeyID, status: status, createDate: createDate)
    }
}

extension AccessKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AccessKey(userName: \(userName), accessKeyID: \(AWSCredentials.mask(accessKeyID)), "
            + "secretAccessKey: <redacted>, status: \(status))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "userName": userName,
            "accessKeyID": AWSCredentials.mask(accessKeyID),
            "secretAccessKey": "<redacted>",
            "status": status.rawValue,
        ])
    }
}

/// An access key as ListAccessKeys describes it: no secret.
public struct AccessKeyMetadata: Sendable, Hashable, Codable {
    public var userName: String
    public var accessKeyID: String
    public var status: AccessKeyStatus
    public var createDate: Date?

    public init(userName: String, accessKeyID: String, status: AccessKeyStatus, createDate: Date? = nil) {
        self.userName = userName
        self.accessKeyID = accessKeyID
        self.status = status
        self.createDate = createDate
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        userName = try xml.required("UserName")
        accessKeyID = try xml.required("AccessKeyId")
        status = AccessKeyStatus(rawValue: try xml.required("Status"))
        createDate = xml.date("CreateDate")
    }
}

public struct IAMGroup: Sendable, Hashable, Codable {
    public var groupName: String
    public var groupID: String
    public var arn: String
    public var path: String
    public var createDate: Date?

    public init(groupName: String, groupID: String, arn: String, path: String = "/", createDate: Date? = nil) {
        self.groupName = groupName
        self.groupID = groupID
        self.arn = arn
        self.path = path
        self.createDate = createDate
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        groupName = try xml.required("GroupName")
        groupID = try xml.required("GroupId")
        arn = try xml.required("Arn")
        path = xml.string("Path") ?? "/"
        createDate = xml.date("CreateDate")
    }
}

/// A group and all its members, from GetGroup (every page).
public struct IAMGroupMembers: Sendable, Hashable, Codable {
    public var group: IAMGroup
    public var users: [IAMUser]

    public init(group: IAMGroup, users: [IAMUser]) {
        self.group = group
        self.users = users
    }
}

/// A managed policy, from GetPolicy.
public struct ManagedPolicy: Sendable, Hashable, Codable {
    public var policyName: String
    public var policyID: String
    public var arn: String
    public var path: String
    public var defaultVersionID: String?
    public var attachmentCount: Int?
    public var isAttachable: Bool
    public var description: String?
    public var createDate: Date?
    public var updateDate: Date?

    public init(policyName: String, policyID: String, arn: String, path: String = "/", defaultVersionID: String? = nil,
                attachmentCount: Int? = nil, isAttachable: Bool = true, description: String? = nil,
                createDate: Date? = nil, updateDate: Date? = nil) {
        self.policyName = policyName
        self.policyID = policyID
        self.arn = arn
        self.path = path
        self.defaultVersionID = defaultVersionID
        self.attachmentCount = attachmentCount
        self.isAttachable = isAttachable
        self.description = description
        self.createDate = createDate
        self.updateDate = updateDate
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        policyName = try xml.required("PolicyName")
        policyID = try xml.required("PolicyId")
        arn = try xml.required("Arn")
        path = xml.string("Path") ?? "/"
        defaultVersionID = xml.string("DefaultVersionId")
        attachmentCount = xml.int("AttachmentCount")
        isAttachable = xml.bool("IsAttachable") ?? true
        description = xml.string("Description")
        createDate = xml.date("CreateDate")
        updateDate = xml.date("UpdateDate")
    }
}
