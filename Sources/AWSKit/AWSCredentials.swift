/// An access key pair, with a session token for temporary credentials.
///
/// Printing it in any way (`description`, `debugDescription`, `dump`, a `Mirror`) shows the
/// access key id masked to its last four characters and never the secret or the token.
public struct AWSCredentials: Sendable, Hashable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `****` followed by the last four characters of the key id, as the AWS console shows it.
    public var maskedAccessKeyID: String {
        Self.mask(accessKeyID)
    }

    public var isTemporary: Bool {
        sessionToken != nil
    }

    /// Masks any key id the same way, for callers that hold one outside `AWSCredentials`.
    public static func mask(_ accessKeyID: String) -> String {
        // A key id shorter than 12 characters is not a real one; show nothing of it.
        guard accessKeyID.count >= 12 else { return "****" }
        return "****" + accessKeyID.suffix(4)
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AWSCredentials(accessKeyID: \(maskedAccessKeyID), secretAccessKey: <redacted>"
            + (isTemporary ? ", sessionToken: <redacted>)" : ")")
    }

    public var debugDescription: String {
        description
    }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessKeyID": maskedAccessKeyID,
            "secretAccessKey": "<redacted>",
            "sessionToken": isTemporary ? "<redacted>" : "none",
        ])
    }
}
