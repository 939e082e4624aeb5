/// The inputs a plugin accepts.
public struct Schema: Sendable {
    public var fields: [Field]
    /// Any input name is accepted (`core.set`); `fields` lists the documented ones.
    public var acceptsAnyInput: Bool

    public init(_ fields: [Field], acceptsAnyInput: Bool = false) {
        self.fields = fields
        self.acceptsAnyInput = acceptsAnyInput
    }

    public static let anyInputs = Schema([], acceptsAnyInput: true)

    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }

    /// One input.
    public struct Field: Sendable {
        public var name: String
        public var type: FieldType
        public var isRequired: Bool
        public var defaultValue: Value?
        public var description: String

        public init(_ name: String, _ type: FieldType, required: Bool = false, default defaultValue: Value? = nil,
                    description: String) {
            self.name = name
            self.type = type
            self.isRequired = required
            self.defaultValue = defaultValue
            self.description = description
        }

        public static func required(_ name: String, _ type: FieldType, _ description: String) -> Field {
            Field(name, type, required: true, description: description)
        }

        public static func optional(_ name: String, _ type: FieldType, default defaultValue: Value? = nil,
                                    _ description: String) -> Field {
            Field(name, type, required: false, default: defaultValue, description: description)
        }
    }
}

/// The type of an input or output.
public enum FieldType: String, Sendable, CaseIterable {
    case string, int, bool, list, map
    /// A duration: `30s`, `5m`, or a number of seconds.
    case duration
    /// Anything.
    case any

    /// Whether `value` fits; a secret fits where a string does.
    public func accepts(_ value: Value) -> Bool {
        switch (self, value) {
        case (.any, _), (_, .null): return true
        case (.string, .string), (.string, .secret), (.int, .int), (.bool, .bool), (.list, .list), (.map, .map):
            return true
        case (.string, .int), (.string, .double), (.string, .bool):
            // YAML reads `mode: 0644` or `name: 123` as numbers; a string input takes their text.
            return true
        case (.duration, .string(let s)): return Duration(runbookText: s) != nil
        case (.duration, .int), (.duration, .double): return true
        default: return false
        }
    }
}

/// The outputs a plugin produces.
public struct OutputSchema: Sendable {
    public var fields: [Output]
    /// Outputs are whatever the step's inputs are (`core.set`): references are checked
    /// against the step's `with:` keys.
    public var mirrorsInputs: Bool

    public init(_ fields: [Output], mirrorsInputs: Bool = false) {
        self.fields = fields
        self.mirrorsInputs = mirrorsInputs
    }

    public static let mirroringInputs = OutputSchema([], mirrorsInputs: true)

    public func field(_ name: String) -> Output? { fields.first { $0.name == name } }
    public var secretNames: Set<String> { Set(fields.filter(\.isSecret).map(\.name)) }

    public struct Output: Sendable {
        public var name: String
        public var type: FieldType
        public var isSecret: Bool
        public var description: String

        public init(_ name: String, _ type: FieldType, secret: Bool = false, _ description: String) {
            self.name = name
            self.type = type
            self.isSecret = secret
            self.description = description
        }
    }
}
