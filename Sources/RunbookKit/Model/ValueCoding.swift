import Foundation

/// JSON form of a value: JSON's own types; a secret encodes as its redacted text.
///
/// Encoding can therefore never leak a secret. The store, which must keep secrets, swaps
/// them for encrypted references before it encodes (see `SecretVault`).
extension Value: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let l = try? container.decode([Value].self) {
            self = .list(l)
        } else {
            self = .map(try container.decode([String: Value].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .list(let l): try container.encode(l)
        case .map(let m): try container.encode(m)
        case .secret(let s): try container.encode(s.description)
        }
    }
}

extension Value {
    /// Compact JSON with sorted keys; secrets redacted.
    public func jsonString() -> String {
        ValueJSON.encode(self)
    }

    /// Parses JSON produced by `jsonString()` or by the store.
    public static func parseJSON(_ text: String) throws -> Value {
        try ValueJSON.decode(text)
    }
}
