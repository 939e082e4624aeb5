import ArgumentParser
import Foundation

/// The entry point: parse, run, and turn every error into a one-line message and a
/// documented exit code (docs/cli.md). Never a stack trace.
@main
enum Main {
    static func main() async {
        let status: Int32
        do {
            var command = try RunbookCommand.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            status = 0
        } catch let exit as CommandExit {
            status = exit.status
        } catch {
            status = ErrorReport.report(error)
        }
        Terminal.flush()
        exit(status)
    }
}
