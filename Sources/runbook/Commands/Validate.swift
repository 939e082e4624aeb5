import ArgumentParser
import RunbookKit

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a runbook without running it: YAML, keys, plugins, inputs, references.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "A runbook name or path.")
    var runbook: String

    func run() async throws {
        let context = CommandContext(options: global)
        do {
            let runbook = try context.loadRunbook(self.runbook)
            if format.output == .json {
                JSONOutput.print(.map(["valid": true, "runbook": .string(runbook.name), "file": .string(runbook.source.displayPath),
                                       "problems": .list([])]))
            } else {
                Terminal.out("\(runbook.source.displayPath): valid (\(runbook.steps.count) steps, \(runbook.params.count) params)")
            }
        } catch let error as ValidationFailure where format.output == .json {
            let problems: [Value] = error.diagnostics.map(Self.json)
            JSONOutput.print(.map(["valid": false, "runbook": .string(runbook), "problems": .list(problems)]))
            throw CommandExit.invalidInput
        }
    }

    private static func json(_ diagnostic: Diagnostic) -> Value {
        var object: [String: Value] = ["message": .string(diagnostic.message)]
        if let location = diagnostic.location {
            object["file"] = .string(location.file)
            object["line"] = .int(location.line)
            object["column"] = .int(location.column)
        }
        return .map(object)
    }
}
