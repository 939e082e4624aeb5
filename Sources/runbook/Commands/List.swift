import ArgumentParser
import RunbookKit

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the runbooks in ./runbooks and RUNBOOK_PATH.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() async throws {
        let context = CommandContext(options: global)
        let found = context.locator.all()
        var rows: [(name: String, path: String, description: String)] = []
        for entry in found {
            let description: String
            if let source = try? context.locator.locate(entry.path), let runbook = try? RunbookParser().parse(source) {
                description = runbook.description
            } else {
                description = "(invalid: run `runbook validate \(entry.path)`)"
            }
            rows.append((entry.name, entry.path, description))
        }
        if format.output == .json {
            JSONOutput.print(.list(rows.map { .map(["name": .string($0.name), "path": .string($0.path), "description": .string($0.description)]) }))
            return
        }
        guard !rows.isEmpty else {
            Terminal.out("no runbooks found in \(context.locator.searchDirectories.joined(separator: ", "))")
            return
        }
        let width = rows.map(\.name.count).max() ?? 0
        for row in rows {
            Terminal.out("\(row.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(row.description)")
        }
    }
}
