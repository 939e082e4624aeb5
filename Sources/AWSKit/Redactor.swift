import Foundation

/// Scrubs secrets out of text that may reach an operator: error messages, transport
/// details, anything a server echoed back. Known secrets are replaced verbatim; patterns
/// catch what the caller could not name (an echoed `Authorization` header, a token in a
/// query string, credentials inside a proxy URL).
struct Redactor: Sendable {
    static let placeholder = "[REDACTED]"

    /// Strings that must never appear, e.g. the secret access key and session token in use.
    var secrets: [String]

    init(secrets: [String] = []) {
        // Very short strings would redact unrelated text; real secrets are 16+ characters.
        self.secrets = secrets.filter { $0.count >= 8 }
    }

    init(credentials: AWSCredentials) {
        self.init(secrets: [credentials.secretAccessKey, credentials.sessionToken].compactMap { $0 })
    }

    private static let patterns: [(pattern: String, template: String)] = [
        // A whole Authorization header or its SigV4 value, wherever it was echoed.
        ("(?i)(authorization\\s*[:=]\\s*)[^\\r\\n]*", "$1\(placeholder)"),
        ("AWS4-HMAC-SHA256\\s+Credential=[^\\r\\n]*", placeholder),
        ("(?i)(x-amz-signature\\s*[:=]\\s*)[0-9a-f]+", "$1\(placeholder)"),
        ("(?i)(signature\\s*=\\s*)[0-9a-f]{64}", "$1\(placeholder)"),
        // Tokens and secrets in headers, form or query parameters, XML or INI text.
        ("(?i)(x-amz-security-token\\s*[:=]\\s*)[^\\s&,;<\"']+", "$1\(placeholder)"),
        ("(?i)((?:aws_)?(?:secret_?access_?key|session_?token)\\s*(?:[:=]|>)\\s*)[^\\s&,;<\"']+", "$1\(placeholder)"),
        // user:password@ in a URL (a proxy URL is the usual suspect).
        ("(://)[^/@\\s]+@", "$1\(placeholder)@"),
    ]

    func redact(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: Self.placeholder)
        }
        for (pattern, template) in Self.patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(result.startIndex..., in: result)
            result = regex.stringByReplacingMatches(in: result, range: range, withTemplate: template)
        }
        return result
    }
}
