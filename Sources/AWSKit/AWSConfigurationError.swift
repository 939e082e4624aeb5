/// Why credentials, region, endpoints or retry settings could not be resolved. Each case
/// names the places involved so an operator can fix them; none ever contains a secret.
public enum AWSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing supplied credentials; `searched` says what was found at each place looked.
    case credentialsNotFound(profile: String, searched: [String])
    /// A source supplied half a key pair (`missing` names the absent setting).
    case incompleteCredentials(source: String, missing: String)
    /// A file that had to be consulted exists but cannot be read.
    case unreadableFile(path: String, reason: String)
    /// The profile gets credentials in a way AWSKit does not implement (roles, SSO, processes).
    case unsupportedCredentialSource(profile: String, file: String, setting: String)
    /// A setting has a value that cannot be used. Make it with `invalid(_:value:reason:)`,
    /// which scrubs the value (an endpoint URL can carry a password).
    case invalidSetting(name: String, value: String, reason: String)

    static func invalid(_ name: String, value: String, reason: String) -> AWSConfigurationError {
        .invalidSetting(name: name, value: Redactor().redact(value), reason: reason)
    }

    public var description: String {
        switch self {
        case let .credentialsNotFound(profile, searched):
            let places = searched.map { "  - \($0)" }.joined(separator: "\n")
            return "no AWS credentials found for profile \"\(profile)\"; looked in:\n\(places)\n"
                + "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add aws_access_key_id and "
                + "aws_secret_access_key to the profile (aws configure --profile \(profile))."
        case let .incompleteCredentials(source, missing):
            return "incomplete AWS credentials in \(source): \(missing) is missing"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .unsupportedCredentialSource(profile, file, setting):
            return "profile \"\(profile)\" in \(file) gets its credentials through \(setting), which runbook "
                + "does not support; export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) instead"
        case let .invalidSetting(name, value, reason):
            return "invalid \(name) \"\(value)\": \(reason)"
        }
    }
}
