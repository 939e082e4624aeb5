import Foundation

/// One of the AWS shared files (`~/.aws/credentials` or `~/.aws/config`), read once and
/// parsed the way the AWS CLI reads it.
///
/// Sections are profiles: `[name]` in the credentials file; `[default]` or `[profile name]`
/// in the config file (other config sections, such as `[sso-session x]`, are not profiles).
/// Keys are case-insensitive; lines starting with `#` or `;` are comments; indented lines
/// continue a nested setting (`s3 =` ...) and are ignored here.
struct SharedConfigFile: Sendable {
    enum Kind: Sendable {
        case credentials
        case config
    }

    enum State: Sendable, Equatable {
        case missing
        case unreadable(reason: String)
        case loaded(profiles: [String: [String: String]])
    }

    let path: String
    let kind: Kind
    let state: State

    init(path: String, kind: Kind, state: State) {
        self.path = path
        self.kind = kind
        self.state = state
    }

    /// Reads the file; a missing file is normal, an unreadable one is remembered as such so
    /// the caller can report it when (and only if) it needs the file.
    static func load(path: String, kind: Kind) -> SharedConfigFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return SharedConfigFile(path: path, kind: kind, state: .missing)
        }
        if isDirectory.boolValue {
            return SharedConfigFile(path: path, kind: kind, state: .unreadable(reason: "it is a directory"))
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return SharedConfigFile(path: path, kind: kind, state: .unreadable(reason: "permission denied"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return SharedConfigFile(path: path, kind: kind, state: .unreadable(reason: "it could not be read"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return SharedConfigFile(path: path, kind: kind, state: .unreadable(reason: "it is not UTF-8 text"))
        }
        return SharedConfigFile(path: path, kind: kind, state: .loaded(profiles: parse(text, kind: kind)))
    }

    /// The settings of a profile, nil when the file or the profile is absent.
    func profile(_ name: String) -> [String: String]? {
        guard case let .loaded(profiles) = state else { return nil }
        return profiles[name]
    }

    static func parse(_ text: String, kind: Kind) -> [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
                let header = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
                    .trimmingCharacters(in: .whitespaces)
                current = profileName(fromSection: header, kind: kind)
                if let current, profiles[current] == nil { profiles[current] = [:] }
                continue
            }
            // An indented line belongs to a nested setting of the previous key.
            if line.first == " " || line.first == "\t" { continue }
            guard let current, let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            profiles[current, default: [:]][key] = value
        }
        return profiles
    }

    private static func profileName(fromSection header: String, kind: Kind) -> String? {
        switch kind {
        case .credentials:
            return header
        case .config:
            if header == "default" { return "default" }
            let words = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard words.count == 2, words[0] == "profile" else { return nil }
            return words[1].trimmingCharacters(in: .whitespaces)
        }
    }
}
