/// Named values handed to and returned by plugins: a step's inputs, the intent it observed,
/// the outputs it produced. Accessors throw `FieldError` naming the field, so a plugin
/// can read what it needs in one line and the user still gets a precise message.
public struct Fields: Sendable, Hashable {
    public var values: [String: Value]
    /// Inputs that depend on a step that has not run yet (dry-run only): their value is a
    /// placeholder and plugins should plan without observing through them.
    public var deferred: Set<String>

    public init(_ values: [String: Value] = [:], deferred: Set<String> = []) {
        self.values = values
        self.deferred = deferred
    }

    public subscript(name: String) -> Value? {
        get { values[name] }
        set { values[name] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }
    public var names: [String] { values.keys.sorted() }

    public func isDeferred(_ name: String) -> Bool { deferred.contains(name) }

    /// True when any input this plan depends on is only known at run time.
    public var hasDeferred: Bool { !deferred.isEmpty }

    public func string(_ name: String) throws -> String {
        guard let value = values[name], !value.isNull else { throw FieldError.missing(name) }
        guard let s = value.stringValue else { throw FieldError.wrongType(name, expected: .string, found: value.kind) }
        return s
    }

    public func optionalString(_ name: String) throws -> String? {
        guard let value = values[name], !value.isNull else { return nil }
        return try string(name)
    }

    public func int(_ name: String) throws -> Int {
        guard let value = values[name], !value.isNull else { throw FieldError.missing(name) }
        guard let i = value.intValue else { throw FieldError.wrongType(name, expected: .int, found: value.kind) }
        return i
    }

    public func optionalInt(_ name: String) throws -> Int? {
        guard let value = values[name], !value.isNull else { return nil }
        return try int(name)
    }

    public func bool(_ name: String, default defaultValue: Bool? = nil) throws -> Bool {
        guard let value = values[name], !value.isNull else {
            if let defaultValue { return defaultValue }
            throw FieldError.missing(name)
        }
        guard let b = value.boolValue else { throw FieldError.wrongType(name, expected: .bool, found: value.kind) }
        return b
    }

    public func list(_ name: String) throws -> [Value] {
        guard let value = values[name], !value.isNull else { return [] }
        guard let l = value.listValue else { throw FieldError.wrongType(name, expected: .list, found: value.kind) }
        return l
    }

    public func stringList(_ name: String) throws -> [String] {
        try list(name).enumerated().map { index, item in
            guard let s = item.stringValue else {
                throw FieldError.wrongType("\(name)[\(index)]", expected: .string, found: item.kind)
            }
            return s
        }
    }

    public func map(_ name: String) throws -> [String: Value] {
        guard let value = values[name], !value.isNull else { return [:] }
        guard let m = value.mapValue else { throw FieldError.wrongType(name, expected: .map, found: value.kind) }
        return m
    }

    /// A duration: `30s`, `500ms`, `5m`, or a number of seconds; nil when absent. Negative
    /// durations are refused; whether zero is allowed is the plugin's call.
    public func duration(_ name: String) throws -> Duration? {
        guard let value = values[name], !value.isNull else { return nil }
        switch value {
        case .int(let seconds) where seconds >= 0:
            return .seconds(seconds)
        case .double(let seconds) where seconds >= 0 && seconds.isFinite:
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        case .list, .map:
            throw FieldError.wrongType(name, expected: .string, found: value.kind)
        default:
            if let text = value.stringValue, let duration = Duration(runbookText: text) { return duration }
            throw FieldError.notADuration(name, value.displayText)
        }
    }

    /// A map whose values are scalars, as strings (tags, environment variables).
    public func stringMap(_ name: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for (key, item) in try map(name) {
            guard let text = item.interpolationText else {
                throw FieldError.wrongType("\(name).\(key)", expected: .string, found: item.kind)
            }
            result[key] = text
        }
        return result
    }

    /// True if any value is secret.
    public var containsSecret: Bool { values.values.contains { $0.containsSecret } }
}

extension Fields: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// What a plugin receives as its resolved `with:` values.
public typealias Inputs = Fields
/// What a plugin observed just before acting; stored with the `started` checkpoint.
public typealias Intent = Fields
/// What an applied step produced; later steps read them as `${steps.ID.NAME}`.
public typealias Outputs = Fields

/// A field a plugin needed was missing or of the wrong kind.
public enum FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case wrongType(String, expected: ValueKind, found: ValueKind)
    case notADuration(String, String)

    public var description: String {
        switch self {
        case .missing(let name): return "missing value for '\(name)'"
        case .wrongType(let name, let expected, let found): return "'\(name)' must be \(expected.rawValue), not \(found.rawValue)"
        case .notADuration(let name, let text): return "\(name) '\(text)' is not a duration (30s, 5m, 500ms, or a number of seconds)"
        }
    }
}
