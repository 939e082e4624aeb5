import Foundation
import RunbookKit

/// Runs an engine operation with SIGINT/SIGTERM handling and reports its outcome: the
/// shared tail of `execute`, `resume` and `rollback`.
struct RunDriver {
    let context: CommandContext
    let output: OutputFormat

    func drive(_ operation: @escaping @Sendable (Engine) async throws(EngineError) -> RunOutcome) async throws {
        let store = try context.openStore()
        let stop = StopSignal()
        let progress = ProgressRenderer(environment: context.environment, quiet: output == .json)
        let engine = Engine(store: store, configuration: context.engineConfiguration(), observer: progress, stop: stop)
        let task = Task { () throws(EngineError) -> RunOutcome in try await operation(engine) }
        stop.install(
            onFirst: { signal in
                Terminal.note("\nrunbook: \(signal == SIGINT ? "interrupt" : "termination") received: finishing the step in flight, then stopping (send it again to abandon that step)")
            },
            onAbandon: { task.cancel() })
        let outcome = try await task.value
        try report(outcome, store: store)
    }

    private func report(_ outcome: RunOutcome, store: any RunStore) throws {
        let style = Style(color: Terminal.usesColor(environment: context.environment))
        if output == .json {
            if let snapshot = try store.load(outcome.runID, revealSecrets: false) {
                JSONOutput.print(RunView(snapshot: snapshot).json)
            }
        } else {
            var line = "run \(outcome.runID) \(style.run(outcome.state))"
            if let error = outcome.error, outcome.state != .succeeded { line += ": \(error)" }
            Terminal.out(line)
            let stored = (try? store.run(outcome.runID))?.state ?? outcome.state
            for hint in Hints.next(for: outcome.state, stored: stored, runID: outcome.runID) {
                Terminal.out("  \(hint)")
            }
        }
        if let signal = outcome.signal, outcome.state == .interrupted { throw CommandExit.interrupted(by: signal) }
        switch outcome.state {
        case .succeeded: return
        case .rolledBack where outcome.error == nil: return
        default: throw CommandExit.runFailed
        }
    }
}
