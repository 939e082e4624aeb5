import CorePlugins
import Foundation
import RunbookKit
import Testing

/// `core.shell` driven by the real engine and SQLite store: its intent and outputs survive
/// the checkpoints, outputs flow to later steps, and rollback undoes only what the run did.
@Suite(.timeLimit(.minutes(1))) struct CoreShellEngineTests {
    static let runbook = """
        name: shell-flow
        steps:
          - id: make
            uses: core.shell
            with:
              run: "echo made > made && echo token-1"
              check: "test -f made && echo token-1"
              undo: "rm made"
          - id: use
            uses: core.shell
            with:
              run: "echo got ${steps.make.stdout} > used"
              undo: "rm used"
        """

    @Test func executesPassesOutputsOnAndRollsBack() async throws {
        let world = try World()
        let run = try await world.execute(Self.runbook)
        #expect(run.state == .succeeded)
        #expect(try world.read("made") == "made\n")
        #expect(try world.read("used") == "got token-1\n")

        let undone = try await world.engine.rollback(run.runID)
        #expect(undone.state == .rolledBack)
        #expect(world.files() == [])
    }

    @Test func leavesWhatExistedBeforeTheRun() async throws {
        let world = try World()
        try "mine\n".write(toFile: world.directory + "/made", atomically: true, encoding: .utf8)
        let run = try await world.execute(Self.runbook)
        #expect(run.state == .succeeded)
        // The check passed, so `run` did not overwrite the file; its output came from the check.
        #expect(try world.read("made") == "mine\n")
        #expect(try world.read("used") == "got token-1\n")

        let undone = try await world.engine.rollback(run.runID)
        #expect(undone.state == .rolledBack)
        #expect(world.files() == ["made"])
        #expect(try world.read("made") == "mine\n")
    }

    @Test func aFailingCommandFailsTheRunWithItsStderr() async throws {
        let world = try World()
        let run = try await world.execute("""
            name: shell-fail
            steps:
              - id: broken
                uses: core.shell
                with: { run: "echo 'disk full' >&2; exit 4" }
            """)
        #expect(run.state == .failed)
        #expect(run.error?.contains("run failed with exit status 4: disk full") == true)
    }
}

/// A scratch directory, a state store in it, and an engine with `core.shell` registered.
private final class World: Sendable {
    let directory: String
    let engine: Engine
    private let registry = PluginRegistry([CoreShell()])

    init() throws {
        directory = NSTemporaryDirectory() + "runbook-shell-engine-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/.state", withIntermediateDirectories: true)
        let home = directory + "/.state"
        let vault = SecretVault(keyFile: SecretKeyFile.location(home: home, environment: [:]))
        let store = try SQLiteRunStore.open(home: home, vault: vault)
        engine = Engine(store: store, configuration: EngineConfiguration(
            registry: registry, environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"], workingDirectory: directory))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func execute(_ text: String) async throws -> RunOutcome {
        let runbook = try RunbookParser().parse(RunbookSource(displayPath: "test.yaml", path: nil, text: text))
        try RunbookValidator(registry: registry).validate(runbook)
        return try await engine.execute(runbook, params: [:], onFailure: .pause)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: directory + "/" + name, encoding: .utf8) }

    /// Files the commands left, not counting the state directory.
    func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != ".state" }.sorted()
    }
}
