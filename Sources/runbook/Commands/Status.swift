import ArgumentParser
import RunbookKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show where a run stands, step by step.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The run id (default: the most recent run).")
    var run: String?

    func run() async throws {
        let context = CommandContext(options: global)
        guard let store = try context.existingStore() else {
            if let run { throw StoreError.unknownRun(run) }
            throw UsageError("there are no runs yet in \(context.home)")
        }
        let record = try context.resolveRun(run, in: store)
        guard let snapshot = try store.load(record.id, revealSecrets: false) else { throw StoreError.unknownRun(record.id) }
        let view = RunView(snapshot: snapshot)
        if format.output == .json {
            JSONOutput.print(view.json)
        } else {
            view.text(style: Style(color: Terminal.usesColor(environment: context.environment))).forEach(Terminal.out)
        }
    }
}
