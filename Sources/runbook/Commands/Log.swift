import ArgumentParser
import RunbookKit

struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a run's journal: every transition, in order.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The run id.")
    var run: String

    func run() async throws {
        let context = CommandContext(options: global)
        guard let store = try context.existingStore(), try store.run(run) != nil else { throw StoreError.unknownRun(run) }
        let entries = try store.journal(run)
        if format.output == .json {
            JSONOutput.print(.list(entries.map { entry in
                .map([
                    "seq": .int(Int(entry.sequence)), "at": .string(UTCTimestamp.iso8601(entry.at, milliseconds: true)),
                    "instance": entry.instance.map(Value.string) ?? .null, "kind": .string(entry.kind.rawValue),
                    "message": .string(entry.message),
                ])
            }))
            return
        }
        for entry in entries {
            let instance = entry.instance.map { "  \($0)" } ?? ""
            Terminal.out("\(UTCTimestamp.iso8601(entry.at, milliseconds: true))  \(entry.kind.rawValue)\(instance)  \(entry.message)")
        }
    }
}
