/// A step's `when:`. Either a value, true unless false, null, 0, "", "false" or empty:
///
///     when: ${params.csv_path}
///
/// or a comparison of two values after substitution (still no code: two values, equal or not):
///
///     when: { equals: ["${params.attach_via}", group] }
///     when: { not_equals: ["${params.mode}", dry] }
public enum Condition: Sendable, Hashable {
    case truthy(Value)
    case equals(Value, Value)
    case notEquals(Value, Value)

    /// Reads a `when:` value; nil with a reason if it is a mapping of another shape.
    public static func parse(_ value: Value) -> Result<Condition, ConditionError> {
        guard case .map(let entries) = value else { return .success(.truthy(value)) }
        guard entries.count == 1, let (key, operands) = entries.first else {
            return .failure(ConditionError(message: "a mapping in 'when' must be { equals: [A, B] } or { not_equals: [A, B] }"))
        }
        guard case .list(let pair) = operands, pair.count == 2 else {
            return .failure(ConditionError(message: "'\(key)' takes a list of two values: [A, B]"))
        }
        switch key {
        case "equals": return .success(.equals(pair[0], pair[1]))
        case "not_equals": return .success(.notEquals(pair[0], pair[1]))
        default:
            return .failure(ConditionError(message: "unknown comparison '\(key)' in 'when'; use equals or not_equals"))
        }
    }

    /// The values it compares or tests, for reference checks.
    public var operands: [Value] {
        switch self {
        case .truthy(let v): return [v]
        case .equals(let a, let b), .notEquals(let a, let b): return [a, b]
        }
    }

    /// Whether the step runs, or nil when it depends on something only known at run time.
    public func evaluate(in scope: Scope) throws(ResolutionError) -> Bool? {
        switch self {
        case .truthy(let value):
            let resolved = try scope.resolve(value)
            return resolved.isDeferred ? nil : resolved.value.isTruthy
        case .equals(let a, let b), .notEquals(let a, let b):
            let left = try scope.resolve(a), right = try scope.resolve(b)
            if left.isDeferred || right.isDeferred { return nil }
            let same = Self.comparable(left.value) == Self.comparable(right.value)
            if case .equals = self { return same }
            return !same
        }
    }

    /// Scalars compare by their text (`1` equals "1"); secrets by their value.
    private static func comparable(_ value: Value) -> Value {
        switch value {
        case .secret(let s): return s.revealed.map(Value.string) ?? value
        case .int, .double, .bool: return value.interpolationText.map(Value.string) ?? value
        default: return value
        }
    }
}

public struct ConditionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Condition: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truthy(let v): return v.displayText
        case .equals(let a, let b): return "\(a.displayText) equals \(b.displayText)"
        case .notEquals(let a, let b): return "\(a.displayText) does not equal \(b.displayText)"
        }
    }
}
