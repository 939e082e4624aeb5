import AWSIAMPlugins
import CorePlugins
import Foundation
import RunbookKit

/// What every command is handed: environment, plugins, where runbooks and state live.
/// Commands never open the database or build clients themselves.
struct CommandContext {
    let environment: [String: String]
    let workingDirectory: String
    let home: String
    let registry: PluginRegistry

    init(options: GlobalOptions) {
        environment = ProcessInfo.processInfo.environment
        workingDirectory = FileManager.default.currentDirectoryPath
        home = options.home ?? StateDirectory.path(environment: environment)
        registry = PluginRegistry(CorePlugins.all + AWSIAMPlugins.all())
    }

    var locator: RunbookLocator { RunbookLocator(environment: environment, workingDirectory: workingDirectory) }

    var vault: SecretVault { SecretVault(keyFile: SecretKeyFile.location(home: home, environment: environment)) }

    /// Finds, parses and validates a runbook.
    func loadRunbook(_ nameOrPath: String) throws -> Runbook {
        let source = try locator.locate(nameOrPath)
        return try RunbookLoader(registry: registry).load(source)
    }

    /// The store, created if needed: for commands that write.
    func openStore() throws -> SQLiteRunStore {
        try SQLiteRunStore.open(home: home, vault: vault)
    }

    /// The store if it exists: read-only commands never create one.
    func existingStore() throws -> SQLiteRunStore? {
        try SQLiteRunStore.openExisting(home: home, vault: vault)
    }

    /// The run named `id`, or the most recent one (saying so on stderr).
    func resolveRun(_ id: String?, in store: any RunStore) throws -> RunRecord {
        if let id {
            guard let run = try store.run(id) else { throw StoreError.unknownRun(id) }
            return run
        }
        guard let latest = try store.latestRun() else { throw UsageError("there are no runs yet in \(home)") }
        Terminal.note("using the most recent run, \(latest.id) (\(latest.runbook))")
        return latest
    }

    func engineConfiguration() -> EngineConfiguration {
        EngineConfiguration(registry: registry, environment: environment, workingDirectory: workingDirectory,
                            failpoint: Failpoint.fromEnvironment(environment))
    }
}
