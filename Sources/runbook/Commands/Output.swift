import ArgumentParser
import RunbookKit

struct Output: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one output of a run's step; a secret shows as its fingerprint unless --reveal.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The run id.")
    var run: String

    @Argument(help: ArgumentHelp("The instance and output: access-key.secret_access_key, files[a].path.", valueName: "step.name"))
    var reference: String

    @Flag(help: "Print a secret's value (it must not have been purged).")
    var reveal = false

    func run() async throws {
        guard let dot = reference.lastIndex(of: "."), dot != reference.startIndex, reference.index(after: dot) != reference.endIndex else {
            throw UsageError("'\(reference)' is not STEP.NAME (an instance and one of its outputs)")
        }
        let instance = String(reference[..<dot]), name = String(reference[reference.index(after: dot)...])
        let context = CommandContext(options: global)
        guard let store = try context.existingStore(), let snapshot = try store.load(run, revealSecrets: reveal) else {
            throw StoreError.unknownRun(run)
        }
        guard let record = snapshot.instances.first(where: { $0.name == instance }) else {
            let names = snapshot.instances.map(\.name).joined(separator: ", ")
            throw UsageError("run \(run) has no step instance '\(instance)'; it has: \(names)")
        }
        guard let value = record.outputs?[name] else {
            let names = record.outputs?.names.joined(separator: ", ") ?? "none yet"
            throw UsageError("\(instance) has no output '\(name)'; its outputs: \(names)")
        }
        switch value {
        case .secret(let secret) where reveal:
            guard let revealed = secret.revealed else {
                Terminal.error(["\(instance).\(name) was purged when run \(run) succeeded; only its fingerprint remains: \(secret)"])
                throw CommandExit.runFailed
            }
            Terminal.out(revealed)
        case .list, .map:
            Terminal.out(value.jsonString())
        default:
            Terminal.out(value.displayText)
        }
    }
}
