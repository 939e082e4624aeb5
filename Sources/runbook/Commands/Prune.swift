import ArgumentParser
import Foundation
import RunbookKit

struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete finished runs (succeeded, rolled-back) with their journals and sealed secrets.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Only runs created longer ago than this: 7d, 12h.", valueName: "duration"))
    var olderThan: String?

    @Flag(name: .customLong("include-failed"), help: "Also delete failed, rollback-failed and interrupted runs (their undo is lost).")
    var includeFailed = false

    func run() async throws {
        var before = Date()
        if let olderThan {
            guard let age = Duration(runbookText: olderThan) else {
                throw UsageError("--older-than \(olderThan): not a duration such as 7d or 12h")
            }
            before = before.addingTimeInterval(-age.seconds)
        }
        var states: Set<RunState> = [.succeeded, .rolledBack]
        if includeFailed { states.formUnion([.failed, .rollbackFailed, .interrupted]) }
        let context = CommandContext(options: global)
        guard let store = try context.existingStore() else {
            Terminal.out("no runs")
            return
        }
        let deleted = try store.prune(states: states, before: before)
        for id in deleted { Terminal.out("deleted run \(id)") }
        Terminal.out("\(deleted.count) run(s) deleted")
    }
}
