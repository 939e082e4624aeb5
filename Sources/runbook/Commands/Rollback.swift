import ArgumentParser
import RunbookKit

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Undo everything a run did, newest step first; run it again to finish an interrupted undo.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The run id (default: the most recent run).")
    var run: String?

    func run() async throws {
        let context = CommandContext(options: global)
        let runID = try context.resolveRun(run, in: try context.openStore()).id
        try await RunDriver(context: context, output: format.output).drive { engine throws(EngineError) in
            try await engine.rollback(runID)
        }
    }
}
