/// A string with `${...}` references, parsed once. `$${` writes a literal `${`.
public struct Template: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case literal(String)
        case reference(Reference)
    }

    public var parts: [Part]

    /// Parses `text`; a string without references is a single literal.
    public init(parsing text: String) throws(TemplateError) {
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                literal += "${"
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("${") {
                let bodyStart = text.index(index, offsetBy: 2)
                guard let close = text[bodyStart...].firstIndex(of: "}") else {
                    throw TemplateError.malformed("unterminated '${' in \"\(text)\"")
                }
                if !literal.isEmpty {
                    parts.append(.literal(literal))
                    literal = ""
                }
                parts.append(.reference(try Reference.parse(String(text[bodyStart..<close]))))
                index = text.index(after: close)
            } else {
                literal.append(text[index])
                index = text.index(after: index)
            }
        }
        if !literal.isEmpty || parts.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    public var references: [Reference] {
        parts.compactMap { if case .reference(let r) = $0 { return r } else { return nil } }
    }

    /// A template that is exactly one reference keeps the referenced value's type.
    public var soleReference: Reference? {
        if parts.count == 1, case .reference(let r) = parts[0] { return r }
        return nil
    }
}

public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let message): return message
        }
    }
}

extension Value {
    /// Every reference in every string inside this value.
    public func references() throws(TemplateError) -> [Reference] {
        switch self {
        case .string(let s):
            guard s.contains("${") else { return [] }
            return try Template(parsing: s).references
        case .list(let items):
            var result: [Reference] = []
            for item in items { result += try item.references() }
            return result
        case .map(let entries):
            var result: [Reference] = []
            for key in entries.keys.sorted() { result += try entries[key, default: .null].references() }
            return result
        default:
            return []
        }
    }
}
