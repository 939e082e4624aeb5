/// Parses and validates a runbook in one pass, reporting every problem it can find, in
/// file order.
public struct RunbookLoader {
    public let registry: PluginRegistry

    public init(registry: PluginRegistry) {
        self.registry = registry
    }

    public func load(_ source: RunbookSource) throws(ValidationFailure) -> Runbook {
        let (parsed, structural) = RunbookParser().parseCollecting(source)
        var diagnostics = structural
        if let parsed {
            do {
                try RunbookValidator(registry: registry).validate(parsed)
            } catch {
                diagnostics += error.diagnostics
            }
        }
        guard let runbook = parsed, diagnostics.isEmpty else {
            throw ValidationFailure(Self.ordered(diagnostics))
        }
        return runbook
    }

    static func ordered(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }.enumerated().sorted { a, b in
            let l = a.element.location, r = b.element.location
            if let l, let r, l.file == r.file, (l.line, l.column) != (r.line, r.column) {
                return (l.line, l.column) < (r.line, r.column)
            }
            return a.offset < b.offset
        }.map(\.element)
    }
}
