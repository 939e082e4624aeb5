import Yams

/// Reading Yams nodes into runbook values, with their locations.
struct YAMLValues {
    let file: String

    func location(of node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// Parses one YAML document. Syntax errors carry libyaml's line and column.
    func compose(_ text: String) throws(ValidationFailure) -> Node? {
        do {
            var documents: [Node] = []
            var sequence = try compose_all(yaml: text)
            while let node = sequence.next() {
                documents.append(node)
                if documents.count > 1 {
                    throw ValidationFailure("a runbook is one YAML document; found a second one", at: location(of: node))
                }
            }
            // The sequence stops at a syntax error and keeps it.
            if let error = sequence.error { throw error }
            return documents.first
        } catch let error as ValidationFailure {
            throw error
        } catch let error as YamlError {
            throw ValidationFailure([diagnostic(for: error)])
        } catch {
            throw ValidationFailure("\(file): cannot read YAML: \(error)")
        }
    }

    private func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = SourceLocation(file: file, line: mark.line, column: mark.column)
            let text = context.map { "\(problem) (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? problem
            return Diagnostic("invalid YAML: \(text)", at: where_)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic("duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping",
                              at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        case .reader(let problem, let offset, _, _):
            return Diagnostic("invalid text: \(problem)\(offset.map { " at byte \($0)" } ?? "")",
                              at: SourceLocation(file: file, line: 1, column: 1))
        default:
            return Diagnostic("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    /// Converts a node to a value: plain scalars by YAML's core schema, quoted ones as strings.
    func value(of node: Node) throws(ValidationFailure) -> Value {
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar, node: node)
        case .sequence(let sequence):
            var items: [Value] = []
            for child in sequence { items.append(try value(of: child)) }
            return .list(items)
        case .mapping(let mapping):
            var entries: [String: Value] = [:]
            for (key, child) in mapping {
                guard let name = key.scalar?.string else {
                    throw ValidationFailure("mapping keys must be plain text", at: location(of: key))
                }
                entries[name] = try value(of: child)
            }
            return .map(entries)
        case .alias:
            throw ValidationFailure("YAML aliases are not supported in runbooks", at: location(of: node))
        }
    }

    private func scalarValue(_ scalar: Node.Scalar, node: Node) -> Value {
        switch scalar.tagName {
        case .null: return .null
        case .bool: return node.bool.map(Value.bool) ?? .string(scalar.string)
        case .int: return node.int.map(Value.int) ?? .string(scalar.string)
        case .float: return node.float.map(Value.double) ?? .string(scalar.string)
        default: return .string(scalar.string)
        }
    }
}

/// A mapping node read key by key, remembering which keys were consumed so the rest
/// can be reported as unknown.
struct MappingReader {
    let values: YAMLValues
    let node: Node
    let context: String
    private(set) var entries: [(key: String, keyNode: Node, value: Node)] = []

    init(_ node: Node, context: String, values: YAMLValues) throws(ValidationFailure) {
        self.values = values
        self.node = node
        self.context = context
        guard case .mapping(let mapping) = node else {
            throw ValidationFailure("\(context) must be a mapping, not \(Self.kindName(node))", at: values.location(of: node))
        }
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw ValidationFailure("keys of \(context) must be plain text", at: values.location(of: key))
            }
            entries.append((name, key, value))
        }
    }

    static func kindName(_ node: Node) -> String {
        switch node {
        case .scalar(let s) where s.tagName == .null: return "null"
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    var location: SourceLocation { values.location(of: node) }

    func node(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

    /// Diagnostics for keys outside `known`.
    func unknownKeys(_ known: Set<String>) -> [Diagnostic] {
        entries.filter { !known.contains($0.key) }.map { entry in
            let suggestion = known.sorted().first { Self.isNearMiss(entry.key, $0) }
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? "; expected one of: \(known.sorted().joined(separator: ", "))"
            return Diagnostic("unknown key '\(entry.key)' in \(context)\(hint)", at: values.location(of: entry.keyNode))
        }
    }

    /// Whether `a` is a likely typo of `b`: an edit distance (with transpositions) of 1 for
    /// short words, 2 for longer ones.
    static func isNearMiss(_ a: String, _ b: String) -> Bool {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        let limit = b.count <= 4 ? 1 : 2
        guard !a.isEmpty, !b.isEmpty, abs(a.count - b.count) <= limit else { return false }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count] <= limit
    }

    /// A scalar string at `key`; nil when absent.
    func string(_ key: String, into diagnostics: inout [Diagnostic]) -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node, scalar.tagName != .null else {
            diagnostics.append(Diagnostic("'\(key)' in \(context) must be text, not \(Self.kindName(node))", at: values.location(of: node)))
            return nil
        }
        return scalar.string
    }
}

extension Node.Scalar {
    /// The resolved YAML tag: plain scalars by YAML's core schema (`1` is an int, `true` a
    /// bool), quoted ones are strings.
    var tagName: Tag.Name {
        let name = Resolver.default.resolveTag(of: Node.scalar(self))
        return name == .nonSpecific ? .str : name
    }
}
