/// Scrubs known secret values out of text before it is printed or journaled: a plugin's
/// error may quote a request that carried a secret, and an endpoint may echo one back.
public struct Redactor: Sendable {
    private var secrets: [(value: String, replacement: String)] = []

    public init() {}

    public init(collecting values: [Value]) {
        for value in values { add(value) }
    }

    /// Remembers every secret inside `value`.
    public mutating func add(_ value: Value) {
        for (_, secret) in value.secrets() {
            guard let text = secret.revealed, text.count >= 4 else { continue }
            if !secrets.contains(where: { $0.value == text }) {
                secrets.append((text, secret.description))
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort { $0.value.count > $1.value.count }
    }

    public mutating func add(_ fields: Fields?) {
        guard let fields else { return }
        add(.map(fields.values))
    }

    /// Whether `text` contains a known secret.
    public func mentionsSecret(_ text: String) -> Bool {
        secrets.contains { text.contains($0.value) }
    }

    /// Marks as secret every string inside `value` that carries a known secret: a plugin
    /// may return one in an undeclared output (a command echoing its token).
    public func sealingKnownSecrets(_ value: Value) -> Value {
        switch value {
        case .string(let text) where mentionsSecret(text): return .secret(Secret(text))
        case .list(let items): return .list(items.map(sealingKnownSecrets))
        case .map(let entries): return .map(entries.mapValues(sealingKnownSecrets))
        default: return value
        }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret.value) {
            result = result.replacingOccurrences(of: secret.value, with: secret.replacement)
        }
        return result
    }
}

import Foundation
