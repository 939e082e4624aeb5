import Foundation
@testable import RunbookKit
import Testing
import TestSupport

/// An engine over a real store in a temp `RUNBOOK_HOME`, with the test plugins sharing one
/// ledger. One per test.
struct EngineHarness {
    let directory: TemporaryDirectory
    let home: String
    let ledger: Ledger
    let registry: PluginRegistry
    let store: SQLiteRunStore
    let events = EventRecorder()
    let stop = StopSignal()

    init(world: Set<String> = []) throws {
        directory = try TemporaryDirectory()
        home = directory.file("home")
        ledger = Ledger(world: world)
        registry = .testPlugins(ledger)
        store = try SQLiteRunStore.open(home: home, vault: SecretVault(keyFile: SecretKeyFile.location(home: home, environment: [:])))
    }

    /// A new engine, as a new `runbook` process would make (its own lease token).
    func engine() -> Engine {
        Engine(store: store,
               configuration: EngineConfiguration(registry: registry, environment: [:], workingDirectory: directory.path),
               observer: events, stop: stop)
    }

    func load(_ yaml: String, file: String = "ops.yaml") throws -> Runbook {
        try loadRunbook(yaml, registry: registry, file: file)
    }

    /// Binds the runbook's params (defaults and `--param` assignments) like the CLI does.
    func params(for runbook: Runbook, _ assignments: [String] = []) throws -> [String: Value] {
        try ParamBinder(runbook: runbook).bind(assignments: assignments)
    }

    func execute(_ runbook: Runbook, params: [String: Value]? = nil, onFailure: FailurePolicy = .pause,
                 keepSecrets: Bool = false) async throws -> RunOutcome {
        try await engine().execute(runbook, params: try params ?? self.params(for: runbook), onFailure: onFailure,
                                   keepSecrets: keepSecrets)
    }

    func execute(_ yaml: String, onFailure: FailurePolicy = .pause, keepSecrets: Bool = false) async throws -> RunOutcome {
        try await execute(try load(yaml), onFailure: onFailure, keepSecrets: keepSecrets)
    }

    func snapshot(_ runID: String, reveal: Bool = false) throws -> RunSnapshot {
        try #require(try store.load(runID, revealSecrets: reveal))
    }

    /// `name: state` of every instance, in order.
    func states(_ runID: String) throws -> [String] {
        try snapshot(runID).instances.map { "\($0.name): \($0.state.rawValue)" }
    }

    func journal(_ runID: String) throws -> [JournalEntry] {
        try store.journal(runID)
    }

    /// Every byte of every file under `RUNBOOK_HOME` that contains `text`.
    func filesContaining(_ text: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: home).filter {
            fileContains((home as NSString).appendingPathComponent($0), text)
        }
    }
}
