/// A place in a runbook file, as `file:line:column` (both 1-based).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found while loading or validating a runbook or its params.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is; nil for problems of the command line (`--param x=1`).
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    public var description: String {
        location.map { "\($0): \(message)" } ?? message
    }
}

/// A runbook or its params are invalid. Carries every problem found, not just the first,
/// so an operator fixes them in one pass.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.diagnostics = [Diagnostic(message, at: location)]
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
