import ArgumentParser
import RunbookKit

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a runbook: its params and steps.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A runbook name or path.")
    var runbook: String

    func run() async throws {
        let context = CommandContext(options: global)
        let runbook = try context.loadRunbook(self.runbook)
        Terminal.out("\(runbook.name): \(runbook.description)")
        Terminal.out("  file: \(runbook.source.displayPath)")
        if !runbook.params.isEmpty {
            Terminal.out("params:")
            for param in runbook.params {
                var traits = [param.type == .enum ? "one of \(param.allowedValues.joined(separator: "|"))" : param.type.rawValue]
                if param.isRequired { traits.append("required") }
                if param.isSecret { traits.append("secret") }
                if let value = param.defaultValue { traits.append("default \(value.displayText)") }
                if let pattern = param.pattern { traits.append("pattern \(pattern)") }
                Terminal.out("  \(param.name) (\(traits.joined(separator: ", ")))\(param.description.map { ": \($0)" } ?? "")")
            }
        }
        Terminal.out("steps:")
        for step in runbook.steps {
            var line = "  \(step.id): \(step.uses)"
            if let foreach = step.foreach { line += " for each of \(foreach.displayText)" }
            if let when = step.when { line += " when \(when.description)" }
            Terminal.out(line)
            if let description = step.description { Terminal.out("      \(description)") }
        }
    }
}
