/// Credentials and the place they came from.
public struct ResolvedCredentials: Sendable, Equatable {
    public let credentials: AWSCredentials
    public let source: CredentialSource

    public init(credentials: AWSCredentials, source: CredentialSource) {
        self.credentials = credentials
        self.source = source
    }
}

/// Where credentials came from, as `runbook doctor` reports it.
public enum CredentialSource: Sendable, Equatable, Codable, CustomStringConvertible {
    case environment
    case sharedCredentialsFile(path: String, profile: String)
    case configFile(path: String, profile: String)
    /// Handed over by the caller, e.g. a key the runbook has just created.
    case explicit

    public var description: String {
        switch self {
        case .environment: "environment (AWS_ACCESS_KEY_ID)"
        case let .sharedCredentialsFile(path, profile): "shared credentials file \(path) [profile \(profile)]"
        case let .configFile(path, profile): "config file \(path) [profile \(profile)]"
        case .explicit: "explicit"
        }
    }
}

extension AWSConfigurationResolver {
    /// The SDKs' chain for static credentials: the environment, then the profile in the
    /// shared credentials file, then the profile in the config file. A source holding half
    /// a key pair is an error rather than a reason to look further, as in botocore.
    public func resolveCredentials() throws(AWSConfigurationError) -> ResolvedCredentials {
        var searched: [String] = []

        let keyID = value(of: "AWS_ACCESS_KEY_ID")
        let secret = value(of: "AWS_SECRET_ACCESS_KEY")
        switch (keyID, secret) {
        case let (keyID?, secret?):
            let token = value(of: "AWS_SESSION_TOKEN") ?? value(of: "AWS_SECURITY_TOKEN")
            return ResolvedCredentials(
                credentials: AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token),
                source: .environment)
        case (.some, nil):
            throw .incompleteCredentials(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")
        case (nil, .some):
            throw .incompleteCredentials(source: "the environment", missing: "AWS_ACCESS_KEY_ID")
        case (nil, nil):
            searched.append("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        }

        for file in [credentialsFile, configFile] {
            let section = file.kind == .config && profileName != "default" ? "[profile \(profileName)]" : "[\(profileName)]"
            let label = file.kind == .credentials ? "shared credentials file \(file.path)" : "config file \(file.path)"
            switch file.state {
            case .missing:
                searched.append("\(label): no such file")
            case let .unreadable(reason):
                throw .unreadableFile(path: file.path, reason: reason)
            case .loaded:
                guard let settings = file.profile(profileName) else {
                    searched.append("\(label): no \(section) section")
                    continue
                }
                let source: CredentialSource = file.kind == .credentials
                    ? .sharedCredentialsFile(path: file.path, profile: profileName)
                    : .configFile(path: file.path, profile: profileName)
                if let credentials = try Self.staticCredentials(in: settings, source: source) {
                    return ResolvedCredentials(credentials: credentials, source: source)
                }
                if file.kind == .config, let setting = Self.unsupportedSettings.first(where: { settings[$0] != nil }) {
                    throw .unsupportedCredentialSource(profile: profileName, file: file.path, setting: setting)
                }
                searched.append("\(label): \(section) has no aws_access_key_id")
            }
        }
        throw .credentialsNotFound(profile: profileName, searched: searched)
    }

    /// Profile settings that name a credential provider AWSKit does not implement.
    static let unsupportedSettings = [
        "role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file", "credential_source",
    ]

    private static func staticCredentials(in settings: [String: String], source: CredentialSource)
        throws(AWSConfigurationError) -> AWSCredentials?
    {
        func nonEmpty(_ key: String) -> String? {
            settings[key].flatMap { $0.isEmpty ? nil : $0 }
        }
        switch (nonEmpty("aws_access_key_id"), nonEmpty("aws_secret_access_key")) {
        case let (keyID?, secret?):
            return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret,
                                  sessionToken: nonEmpty("aws_session_token") ?? nonEmpty("aws_security_token"))
        case (.some, nil):
            throw .incompleteCredentials(source: source.description, missing: "aws_secret_access_key")
        case (nil, .some):
            throw .incompleteCredentials(source: source.description, missing: "aws_access_key_id")
        case (nil, nil):
            return nil
        }
    }
}
