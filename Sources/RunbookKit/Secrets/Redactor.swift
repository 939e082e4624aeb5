/// Scrubs known secret values out of text before it is printed or journaled: a plugin's
/// error may quote a request that carried a secret, and an endpoint may echo one back.
///
/// A run may know thousands of secrets (one per `foreach` item), and every plan line, note
/// and output is checked, so matching is indexed: secrets are filed by their first four
/// bytes, and a text is scanned once, window by window, whatever the number of secrets.
public struct Redactor: Sendable {
    /// Each secret value (its UTF-8 bytes) and what replaces it.
    private var replacements: [[UInt8]: String] = [:]
    /// Secrets by their first four bytes, longest first within each list.
    private var byPrefix: [UInt32: [[UInt8]]] = [:]

    /// Shorter values are not treated as secrets to find in text: they would match by chance.
    static let minimumLength = 4

    public init() {}

    public init(collecting values: [Value]) {
        for value in values { add(value) }
    }

    /// Remembers every secret inside `value`.
    public mutating func add(_ value: Value) {
        guard value.containsSecret else { return }
        for (_, secret) in value.secrets() {
            guard let text = secret.revealed else { continue }
            let bytes = Array(text.utf8)
            guard bytes.count >= Self.minimumLength, replacements[bytes] == nil else { continue }
            replacements[bytes] = secret.description
            let key = Self.prefix(bytes, at: 0)
            var list = byPrefix[key, default: []]
            list.append(bytes)
            list.sort { $0.count > $1.count }
            byPrefix[key] = list
        }
    }

    public mutating func add(_ fields: Fields?) {
        guard let fields else { return }
        add(.map(fields.values))
    }

    /// Whether `text` is exactly one of the known secrets.
    public func isSecret(_ text: String) -> Bool {
        replacements[Array(text.utf8)] != nil
    }

    /// Whether `text` contains a known secret.
    public func mentionsSecret(_ text: String) -> Bool {
        guard !replacements.isEmpty else { return false }
        let bytes = Array(text.utf8)
        var index = 0
        while index + Self.minimumLength <= bytes.count {
            if match(in: bytes, at: index) != nil { return true }
            index += 1
        }
        return false
    }

    /// Marks as secret every string inside `value` that is a secret the run knows, or that
    /// contains one of `nearby` (the step's own secret inputs, which a plugin may echo back
    /// inside a longer text, a command printing its token).
    public func sealingKnownSecrets(_ value: Value, nearby: Redactor) -> Value {
        guard !replacements.isEmpty || !nearby.replacements.isEmpty else { return value }
        switch value {
        case .string(let text) where isSecret(text) || nearby.mentionsSecret(text): return .secret(Secret(text))
        case .list(let items): return .list(items.map { sealingKnownSecrets($0, nearby: nearby) })
        case .map(let entries): return .map(entries.mapValues { sealingKnownSecrets($0, nearby: nearby) })
        default: return value
        }
    }

    /// `text` with every known secret replaced by `[secret FINGERPRINT]`; at each position the
    /// longest secret wins, so a secret that contains another is replaced whole.
    public func redact(_ text: String) -> String {
        guard !replacements.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var changed = false
        var index = 0
        while index < bytes.count {
            if index + Self.minimumLength <= bytes.count, let secret = match(in: bytes, at: index) {
                out += Array((replacements[secret] ?? "[secret]").utf8)
                index += secret.count
                changed = true
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    /// The longest known secret starting at `index`, if any.
    private func match(in bytes: [UInt8], at index: Int) -> [UInt8]? {
        guard let candidates = byPrefix[Self.prefix(bytes, at: index)] else { return nil }
        for candidate in candidates where index + candidate.count <= bytes.count {
            if bytes[index..<(index + candidate.count)].elementsEqual(candidate) { return candidate }
        }
        return nil
    }

    private static func prefix(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }
}
