import Foundation
import GRDB
@testable import RunbookKit
import Synchronization
import Testing

/// A runbook text as if read from `file`.
func source(_ text: String, file: String = "ops.yaml") -> RunbookSource {
    RunbookSource(displayPath: file, path: nil, text: text)
}

/// Loads a runbook that must be valid.
func loadRunbook(_ text: String, registry: PluginRegistry = .testPlugins(), file: String = "ops.yaml") throws -> Runbook {
    try RunbookLoader(registry: registry).load(source(text, file: file))
}

/// The diagnostics of a runbook that must be invalid, as `file:line:column: message` lines.
func diagnostics(_ text: String, registry: PluginRegistry = .testPlugins(), file: String = "ops.yaml",
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
    do {
        _ = try RunbookLoader(registry: registry).load(source(text, file: file))
        Issue.record("expected the runbook to be invalid", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

/// A raw connection to a database file, for what the store must not allow or must survive.
func rawConnection(_ path: String) throws -> DatabaseQueue {
    try DatabaseQueue(path: path)
}

/// The store's own connection pool (a private property), found by type so a rename does not
/// break the test. For checking how the store configures its connections.
func connectionPool(of store: SQLiteRunStore) -> DatabasePool? {
    Mirror(reflecting: store).children.lazy.compactMap { $0.value as? DatabasePool }.first
}

/// Records the engine's events.
final class EventRecorder: RunObserver {
    private let events = Mutex<[RunEvent]>([])

    func handle(_ event: RunEvent) {
        events.withLock { $0.append(event) }
    }

    var notices: [String] {
        events.withLock { $0.compactMap { if case .notice(let text) = $0 { text } else { nil } } }
    }

    var all: [RunEvent] { events.withLock { $0 } }
}

/// A lease owner that is this host but a process that no longer exists.
func deadOwner() throws -> LeaseOwner {
    LeaseOwner(pid: try deadProcessID(), host: LeaseOwner.current().host, startTicks: nil, token: UUID().uuidString)
}
