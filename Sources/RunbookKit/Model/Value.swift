import Foundation

/// A value in a runbook: a param, a plugin input, an intent field or an output.
///
/// The shape is JSON's plus `secret`, so every value can be stored and rendered,
/// and a secret stays marked as one wherever it flows.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case map([String: Value])
    case secret(Secret)
}

extension Value {
    /// The kind of a value, for messages and type checks.
    public var kind: ValueKind {
        switch self {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int
        case .double: return .double
        case .string: return .string
        case .list: return .list
        case .map: return .map
        case .secret: return .string
        }
    }

    /// The string content, revealing a secret: for plugins, which need the real value.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .secret(let secret): return secret.revealed
        default: return nil
        }
    }

    public var intValue: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var listValue: [Value]? {
        if case .list(let l) = self { return l }
        return nil
    }

    public var mapValue: [String: Value]? {
        if case .map(let m) = self { return m }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// True if this value or anything inside it is a secret.
    public var containsSecret: Bool {
        switch self {
        case .secret: return true
        case .list(let items): return items.contains { $0.containsSecret }
        case .map(let entries): return entries.values.contains { $0.containsSecret }
        default: return false
        }
    }

    /// `when:` semantics: false, null, zero, "", "false", an empty list or map are false.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !(s.isEmpty || s == "false")
        case .list(let l): return !l.isEmpty
        case .map(let m): return !m.isEmpty
        case .secret(let s): return !(s.revealed?.isEmpty ?? true)
        }
    }

    /// Text for interpolation into a string (`"user-${params.n}"`). Lists and maps have no
    /// string form here; a secret interpolates its real value (the result is secret too).
    public var interpolationText: String? {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Value.format(d)
        case .string(let s): return s
        case .secret(let s): return s.revealed
        case .list, .map: return nil
        }
    }

    /// A one-line rendering for humans. Secrets show as `[secret]` plus a fingerprint.
    public var displayText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Value.format(d)
        case .string(let s): return s
        case .secret(let s): return s.description
        case .list(let items): return "[" + items.map { $0.nestedDisplayText }.joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.nestedDisplayText)" }
                .joined(separator: ", ") + "}"
        }
    }

    private var nestedDisplayText: String {
        if case .string(let s) = self, s.isEmpty || s.contains(where: { ",:[]{}".contains($0) }) {
            return "\"\(s)\""
        }
        return displayText
    }

    static func format(_ d: Double) -> String {
        if d.rounded() == d, abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }

    /// Replaces every secret inside with the result of `transform` (used by the store to
    /// encrypt and by renderers to redact).
    public func mapSecrets(_ transform: (Secret) throws -> Value) rethrows -> Value {
        switch self {
        case .secret(let s): return try transform(s)
        case .list(let items): return .list(try items.map { try $0.mapSecrets(transform) })
        case .map(let entries): return .map(try entries.mapValues { try $0.mapSecrets(transform) })
        default: return self
        }
    }

    /// Every secret inside, with its path (`tags.owner`, `items.0`).
    public func secrets(at path: String = "") -> [(path: String, secret: Secret)] {
        switch self {
        case .secret(let s): return [(path, s)]
        case .list(let items):
            return items.enumerated().flatMap { $0.element.secrets(at: path.isEmpty ? "\($0.offset)" : "\(path).\($0.offset)") }
        case .map(let entries):
            return entries.sorted { $0.key < $1.key }.flatMap { entry in
                entry.value.secrets(at: path.isEmpty ? entry.key : "\(path).\(entry.key)")
            }
        default: return []
        }
    }
}

/// The kinds a value can have, as named in runbook files and messages.
public enum ValueKind: String, Sendable, CaseIterable {
    case null, bool, int, double, string, list, map
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension Value: CustomStringConvertible {
    public var description: String { displayText }
}
