import ArgumentParser
import RunbookKit

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List runs, oldest first.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() async throws {
        let context = CommandContext(options: global)
        let runs = try context.existingStore()?.runs() ?? []
        if format.output == .json {
            JSONOutput.print(.list(runs.map { run in
                .map([
                    "id": .string(run.id), "runbook": .string(run.runbook), "state": .string(run.effectiveState().rawValue),
                    "created_at": .string(Timestamp.iso(run.createdAt)), "updated_at": .string(Timestamp.iso(run.updatedAt)),
                    "error": run.error.map(Value.string) ?? .null,
                ])
            }))
            return
        }
        guard !runs.isEmpty else {
            Terminal.out("no runs yet")
            return
        }
        let style = Style(color: Terminal.usesColor(environment: context.environment))
        let width = max(runs.map(\.runbook.count).max() ?? 0, 7)
        Terminal.out("ID                    " + "RUNBOOK".padding(toLength: width, withPad: " ", startingAt: 0) + "  STATE            CREATED")
        for run in runs {
            let state = run.effectiveState()
            let padding = String(repeating: " ", count: max(0, 16 - state.rawValue.count))
            Terminal.out("\(run.id)  \(run.runbook.padding(toLength: width, withPad: " ", startingAt: 0))  \(style.run(state))\(padding) \(Timestamp.iso(run.createdAt))")
        }
    }
}
