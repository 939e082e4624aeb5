import ArgumentParser
import RunbookKit

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a failed or interrupted run, settling any step left in doubt first.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The run id (default: the most recent run).")
    var run: String?

    func run() async throws {
        let context = CommandContext(options: global)
        let runID = try context.resolveRun(run, in: try context.openStore()).id
        try await RunDriver(context: context, output: format.output).drive { engine throws(EngineError) in
            try await engine.resume(runID)
        }
    }
}
