import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The embedded store: `RUNBOOK_HOME/state.db`, SQLite in WAL mode with `synchronous=FULL`,
/// so a committed checkpoint survives a crash of the process or the machine. Many
/// processes may share the file; each transaction takes SQLite's write lock up front.
public final class SQLiteRunStore: RunStore {
    public let path: String
    private let pool: DatabasePool
    private let vault: SecretVault

    /// Opens (creating if needed) the store in `home`.
    public static func open(home: String, vault: SecretVault) throws(StoreError) -> SQLiteRunStore {
        try StateDirectory.create(home)
        return try SQLiteRunStore(path: (home as NSString).appendingPathComponent("state.db"), vault: vault, create: true)
    }

    /// Opens the store in `home` if it exists; read-only commands never create one.
    public static func openExisting(home: String, vault: SecretVault) throws(StoreError) -> SQLiteRunStore? {
        let path = (home as NSString).appendingPathComponent("state.db")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try SQLiteRunStore(path: path, vault: vault, create: false)
    }

    private init(path: String, vault: SecretVault, create: Bool) throws(StoreError) {
        self.path = path
        self.vault = vault
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.label = "runbook.state"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted and purged content (sealed secrets, pruned runs) is overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // The working set is a few pages per step: a small page cache keeps memory low.
            try db.execute(sql: "PRAGMA cache_size = -256")
        }
        do {
            // Two processes opening a new database at once must not both migrate it.
            let lock = try DirectoryLock([(path as NSString).deletingLastPathComponent])
            defer { lock.release() }
            // Look before touching: opening a pool switches the file to WAL, which must
            // never happen to a database that is not ours.
            try Self.checkIdentity(path: path)
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets the writer to synchronous=NORMAL when it enables WAL; a checkpoint
            // must survive a power cut, so the writer is FULL.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try StateSchema.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DirectoryLock.Failure {
            throw .unwritable(path: error.directory, reason: error.reason)
        } catch let error as DatabaseError {
            throw Self.storeError(error, path: path)
        } catch {
            throw .database(path: path, message: "\(error)")
        }
    }

    /// Refuses a file that is not our database, through a read-only connection.
    private static func checkIdentity(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, info.st_size > 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.read { db in
            let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            if applicationID != StateSchema.applicationID, applicationID != 0 || !tables.isEmpty {
                throw StoreError.foreignDatabase(path: path)
            }
            if try StateSchema.migrator.hasBeenSuperseded(db) { throw StoreError.newerSchema(path: path) }
        }
        try queue.close()
    }

    static func storeError(_ error: DatabaseError, path: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .notADatabase(path: path)
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM:
            return .unwritable(path: (path as NSString).deletingLastPathComponent, reason: error.message ?? "cannot open \(path)")
        default:
            return .database(path: path, message: error.message ?? "\(error.resultCode)")
        }
    }

    /// Runs `body`, mapping every error to a `StoreError`.
    private func guarded<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as SecretError {
            throw .secret(error)
        } catch let error as DatabaseError {
            throw Self.storeError(error, path: path)
        } catch {
            throw .database(path: path, message: "\(error)")
        }
    }

    // MARK: - Runs

    public func createRun(_ run: NewRun, owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run.id]) == true {
                    throw StoreError.duplicateRun(run.id)
                }
                let now = Date().timeIntervalSince1970
                let codec = SecretCodec(vault: vault, runID: run.id, instance: "")
                let params = try codec.seal(.map(run.params), field: "params")
                try db.execute(sql: """
                    INSERT INTO runs (id, runbook, source_display, source_path, definition, definition_digest, params,
                        state, on_failure, created_at, updated_at, lease_pid, lease_host, lease_start_ticks, lease_token,
                        lease_heartbeat, keep_secrets)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        run.id, run.runbook.name, run.runbook.source.displayPath, run.runbook.source.path,
                        run.runbook.source.text, run.runbook.source.digest, params.json, RunState.running.rawValue,
                        run.onFailure.rawValue, now, now, Int(owner.pid), owner.host,
                        owner.startTicks.map { Int64(bitPattern: $0) }, owner.token, now, run.keepsSecrets,
                    ])
                try insertSecrets(params.rows, db: db)
                try append(db, runID: run.id, instance: nil, kind: .created,
                           message: "run of \(run.runbook.name) created by \(owner) from \(run.runbook.source.displayPath)")
            }
        }
    }

    public func load(_ runID: String, revealSecrets: Bool) throws(StoreError) -> RunSnapshot? {
        try guarded {
            try pool.read { db -> RunSnapshot? in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID]) else {
                    return nil
                }
                let secrets = try SecretRows.fetch(db, runID: runID)
                let opener = SecretOpener(vault: vault, runID: runID, rows: secrets, reveal: revealSecrets)
                let run = try Self.runRecord(row, opener: opener)
                let instances = try Row.fetchAll(db, sql: "SELECT * FROM instances WHERE run_id = ? ORDER BY position",
                                                 arguments: [runID]).map { try Self.instanceRecord($0, opener: opener) }
                return RunSnapshot(run: run, instances: instances)
            }
        }
    }

    public func run(_ runID: String) throws(StoreError) -> RunRecord? {
        try guarded {
            try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])
                    .map { try Self.runRecord($0, opener: .redacting) }
            }
        }
    }

    public func runs() throws(StoreError) -> [RunRecord] {
        try guarded {
            try pool.read { db in
                let opener = SecretOpener.redacting
                return try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY created_at, id").map {
                    try Self.runRecord($0, opener: opener)
                }
            }
        }
    }

    public func latestRun() throws(StoreError) -> RunRecord? {
        try guarded {
            try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT 1")
                    .map { try Self.runRecord($0, opener: .redacting) }
            }
        }
    }

    public func journal(_ runID: String) throws(StoreError) -> [JournalEntry] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM journal WHERE run_id = ? ORDER BY seq", arguments: [runID]).map { row in
                    JournalEntry(sequence: row["seq"], runID: row["run_id"], at: Date(timeIntervalSince1970: row["at"]),
                                 instance: row["instance"], kind: JournalKind(rawValue: row["kind"]) ?? .note,
                                 message: row["message"])
                }
            }
        }
    }

    // MARK: - Lease

    public func acquireLease(_ runID: String, owner: LeaseOwner) throws(StoreError) -> LeaseAcquisition {
        try guarded {
            try pool.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID]) else {
                    throw StoreError.unknownRun(runID)
                }
                let now = Date()
                var result = LeaseAcquisition.acquired
                if let current = Self.lease(row) {
                    if current.owner.token == owner.token { return .acquired }
                    if current.isHeld(now: now) {
                        throw StoreError.leaseHeld(runID: runID, owner: current.owner, heartbeat: current.heartbeat)
                    }
                    result = .tookOver(from: current.owner)
                }
                try db.execute(sql: """
                    UPDATE runs SET lease_pid = ?, lease_host = ?, lease_start_ticks = ?, lease_token = ?, lease_heartbeat = ?
                    WHERE id = ?
                    """, arguments: [Int(owner.pid), owner.host, owner.startTicks.map { Int64(bitPattern: $0) }, owner.token,
                                     now.timeIntervalSince1970, runID])
                if case .tookOver(let previous) = result {
                    try append(db, runID: runID, instance: nil, kind: .takenOver,
                               message: "taken over by \(owner); the previous owner, \(previous), is gone")
                } else {
                    try append(db, runID: runID, instance: nil, kind: .leased, message: "owned by \(owner)")
                }
                return result
            }
        }
    }

    public func renewLease(_ runID: String, owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try db.execute(sql: "UPDATE runs SET lease_heartbeat = ? WHERE id = ? AND lease_token = ?",
                               arguments: [Date().timeIntervalSince1970, runID, owner.token])
                if db.changesCount == 0 { throw StoreError.leaseLost(runID: runID) }
            }
        }
    }

    public func releaseLease(_ runID: String, owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try db.execute(sql: """
                    UPDATE runs SET lease_pid = NULL, lease_host = NULL, lease_start_ticks = NULL, lease_token = NULL,
                        lease_heartbeat = NULL WHERE id = ? AND lease_token = ?
                    """, arguments: [runID, owner.token])
            }
        }
    }

    // MARK: - Transitions

    public func expand(_ runID: String, instances: [InstanceRecord], owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try fence(db, runID: runID, owner: owner)
                for instance in instances {
                    // An item may be secret (a foreach over secret values): sealed like any value.
                    let item = try instance.item.map {
                        try SecretCodec(vault: vault, runID: runID, instance: instance.name).seal($0, field: "item")
                    }
                    try insertSecrets(item?.rows ?? [], db: db)
                    try db.execute(sql: """
                        INSERT INTO instances (run_id, position, name, step_id, step_index, item, state, attempt)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                        """, arguments: [runID, instance.position, instance.name, instance.stepID, instance.stepIndex,
                                         item?.json, InstanceState.pending.rawValue])
                }
                if let first = instances.first, instances.count > 1 || first.item != nil {
                    try append(db, runID: runID, instance: nil, kind: .expanded,
                               message: "step \(first.stepID): \(instances.count) instance(s)")
                }
            }
        }
    }

    public func record(_ transition: InstanceTransition, instance: String, runID: String, owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try fence(db, runID: runID, owner: owner)
                let now = Date().timeIntervalSince1970
                let codec = SecretCodec(vault: vault, runID: runID, instance: instance)
                let state = transition.state.rawValue
                switch transition {
                case .started(let attempt, let inputs, let intent):
                    let sealedInputs = try codec.seal(.map(inputs.values), field: "inputs")
                    let sealedIntent = try codec.seal(.map(intent.values), field: "intent")
                    try insertSecrets(sealedInputs.rows + sealedIntent.rows, db: db)
                    try db.cachedStatement(sql: """
                        UPDATE instances SET state = ?, attempt = ?, inputs = ?, intent = ?, error = NULL,
                            started_at = COALESCE(started_at, ?), finished_at = NULL
                        WHERE run_id = ? AND name = ?
                        """).execute(arguments: [state, attempt, sealedInputs.json, sealedIntent.json, now, runID, instance])
                    try requireChanged(db, runID: runID, instance: instance)
                    try append(db, runID: runID, instance: instance, kind: .started, message: "attempt \(attempt)")
                case .applied(let outputs, let note, let took):
                    let sealed = try codec.seal(.map(outputs.values), field: "outputs")
                    try insertSecrets(sealed.rows, db: db)
                    try db.cachedStatement(sql: """
                        UPDATE instances SET state = ?, outputs = ?, error = NULL, finished_at = ? WHERE run_id = ? AND name = ?
                        """).execute(arguments: [state, sealed.json, now, runID, instance])
                    try requireChanged(db, runID: runID, instance: instance)
                    try append(db, runID: runID, instance: instance, kind: note == nil ? .applied : .settled,
                               message: note ?? took.map { "applied in \(Self.milliseconds($0)) ms" } ?? "applied")
                case .failed(let message):
                    try updateState(db, state: state, error: message, runID: runID, instance: instance, now: now)
                    try append(db, runID: runID, instance: instance, kind: .failed, message: message)
                case .skipped(let reason):
                    try updateState(db, state: state, error: nil, runID: runID, instance: instance, now: now)
                    try append(db, runID: runID, instance: instance, kind: .skipped, message: reason)
                case .settledNotApplied(let note):
                    try updateState(db, state: state, error: nil, runID: runID, instance: instance, now: nil)
                    try append(db, runID: runID, instance: instance, kind: .settled, message: note)
                case .rollingBack:
                    try updateState(db, state: state, error: nil, runID: runID, instance: instance, now: nil)
                    try append(db, runID: runID, instance: instance, kind: .rollingBack, message: "undoing")
                case .rolledBack(let note):
                    try updateState(db, state: state, error: nil, runID: runID, instance: instance, now: now)
                    try append(db, runID: runID, instance: instance, kind: .rolledBack, message: note ?? "undone")
                case .rollbackFailed(let message):
                    try updateState(db, state: state, error: message, runID: runID, instance: instance, now: nil)
                    try append(db, runID: runID, instance: instance, kind: .rollbackFailed, message: message)
                }
            }
        }
    }

    public func setState(_ state: RunState, error: String?, purge: SecretPurge, runID: String, owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try fence(db, runID: runID, owner: owner)
                let now = Date().timeIntervalSince1970
                try db.execute(sql: "UPDATE runs SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                               arguments: [state.rawValue, error, now, runID])
                try append(db, runID: runID, instance: nil, kind: .state,
                           message: error.map { "\(state.rawValue): \($0)" } ?? state.rawValue)
                let scope: String
                switch purge {
                case .none: return
                case .delivered: scope = "AND field NOT LIKE 'intent.%'"
                case .all: scope = ""
                }
                try db.execute(sql: """
                    UPDATE secrets SET nonce = NULL, ciphertext = NULL, purged_at = ?
                    WHERE run_id = ? AND ciphertext IS NOT NULL \(scope)
                    """, arguments: [now, runID])
                let count = db.changesCount
                if count > 0 {
                    try append(db, runID: runID, instance: nil, kind: .purged,
                               message: "purged \(count) delivered secret value(s); fingerprints kept")
                }
            }
        }
    }

    public func prune(states: Set<RunState>, before: Date) throws(StoreError) -> [String] {
        try guarded {
            try pool.write { db in
                var deleted: [String] = []
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE created_at < ? ORDER BY created_at",
                                            arguments: [before.timeIntervalSince1970])
                for row in rows {
                    let record = try Self.runRecord(row, opener: .redacting)
                    guard states.contains(record.effectiveState()), record.lease?.isHeld() != true else { continue }
                    for table in ["secrets", "journal", "instances"] {
                        try db.execute(sql: "DELETE FROM \(table) WHERE run_id = ?", arguments: [record.id])
                    }
                    try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [record.id])
                    deleted.append(record.id)
                }
                return deleted
            }
        }
    }

    public func rotateSecretKey() throws(StoreError) -> Int {
        try guarded {
            // Finish or discard an earlier rotation before starting one, and make sure the
            // current key opens what is stored.
            _ = try vault.cipher(create: true)
            let pending = try pool.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM secrets WHERE ciphertext IS NOT NULL")
            }
            for keyID in pending { _ = try vault.cipher(keyID: keyID) }
            vault.abandonRotation()

            let replacement = try vault.beginRotation()
            let count = try pool.write { db -> Int in
                var fingerprints: [String: String] = [:]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT run_id, instance, field, nonce, ciphertext, key_id FROM secrets WHERE ciphertext IS NOT NULL
                    """)
                for row in rows {
                    let runID: String = row["run_id"], instance: String = row["instance"], field: String = row["field"]
                    let sealed = SecretCipher.Sealed(nonce: row["nonce"], ciphertext: row["ciphertext"])
                    let plaintext = try vault.open(sealed, keyID: row["key_id"], runID: runID, instance: instance, field: field)
                    let binding = SecretVault.binding(runID: runID, instance: instance, field: field)
                    let resealed = try replacement.seal(plaintext, binding: binding)
                    let fingerprint = try replacement.fingerprint(of: plaintext)
                    try db.execute(sql: """
                        UPDATE secrets SET nonce = ?, ciphertext = ?, fingerprint = ?, key_id = ?
                        WHERE run_id = ? AND instance = ? AND field = ?
                        """, arguments: [resealed.nonce, resealed.ciphertext, fingerprint, replacement.keyID, runID, instance, field])
                    fingerprints[SecretRows.key("\(runID)\u{0}\(instance)", field)] = fingerprint
                }
                try Self.rewriteFingerprints(db, fingerprints)
                return rows.count
            }
            // The database now needs the new key; a crash before this rename is finished by
            // the next use of the vault, which finds `secret.key.new` matching the stored key id.
            try vault.finishRotation(replacement)
            return count
        }
    }

    /// Updates the fingerprints cached in the JSON references after a rotation.
    private static func rewriteFingerprints(_ db: Database, _ fingerprints: [String: String]) throws {
        guard !fingerprints.isEmpty else { return }
        func rewrite(_ value: Value, runID: String, instance: String) -> Value {
            switch value {
            case .map(let entries):
                if let field = entries[SecretCodec.referenceKey]?.stringValue {
                    var updated = entries
                    if let fp = fingerprints[SecretRows.key("\(runID)\u{0}\(instance)", field)] { updated["fp"] = .string(fp) }
                    return .map(updated)
                }
                return .map(entries.mapValues { rewrite($0, runID: runID, instance: instance) })
            case .list(let items):
                return .list(items.map { rewrite($0, runID: runID, instance: instance) })
            default:
                return value
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, params FROM runs WHERE params LIKE '%$secret%'") {
            let id: String = row["id"]
            let updated = rewrite(try Value.parseJSON(row["params"]), runID: id, instance: "")
            try db.execute(sql: "UPDATE runs SET params = ? WHERE id = ?", arguments: [updated.jsonString(), id])
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT run_id, name, inputs, intent, outputs FROM instances
            WHERE inputs LIKE '%$secret%' OR intent LIKE '%$secret%' OR outputs LIKE '%$secret%'
            """) {
            let runID: String = row["run_id"], name: String = row["name"]
            var columns: [String: String?] = [:]
            for column in ["inputs", "intent", "outputs"] {
                columns[column] = try (row[column] as String?).map { rewrite(try Value.parseJSON($0), runID: runID, instance: name).jsonString() }
            }
            try db.execute(sql: "UPDATE instances SET inputs = ?, intent = ?, outputs = ? WHERE run_id = ? AND name = ?",
                           arguments: [columns["inputs"] ?? nil, columns["intent"] ?? nil, columns["outputs"] ?? nil, runID, name])
        }
    }

    public func note(_ message: String, instance: String?, runID: String, owner: LeaseOwner) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try fence(db, runID: runID, owner: owner)
                try append(db, runID: runID, instance: instance, kind: .note, message: message)
            }
        }
    }

    // MARK: - Helpers

    /// `2.137`: durations in the journal, to the microsecond.
    static func milliseconds(_ duration: Duration) -> String {
        let micros = Int((duration.seconds * 1_000_000).rounded())
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    private func fence(_ db: Database, runID: String, owner: LeaseOwner) throws {
        let token = try String.fetchOne(db.cachedStatement(sql: "SELECT lease_token FROM runs WHERE id = ?"), arguments: [runID])
        guard token == owner.token else { throw StoreError.leaseLost(runID: runID) }
    }

    private func updateState(_ db: Database, state: String, error: String?, runID: String, instance: String, now: Double?) throws {
        try db.cachedStatement(sql: """
            UPDATE instances SET state = ?, error = ?, finished_at = COALESCE(?, finished_at) WHERE run_id = ? AND name = ?
            """).execute(arguments: [state, error, now, runID, instance])
        try requireChanged(db, runID: runID, instance: instance)
    }

    /// A transition names an instance that exists; otherwise nothing is journaled either.
    private func requireChanged(_ db: Database, runID: String, instance: String) throws {
        if db.changesCount == 0 {
            throw StoreError.database(path: path, message: "run \(runID) has no instance '\(instance)'")
        }
    }

    private func append(_ db: Database, runID: String, instance: String?, kind: JournalKind, message: String) throws {
        // Cached statements: these run twice per step, and compiling SQL each time was a
        // measurable part of the per-step cost.
        try db.cachedStatement(sql: "INSERT INTO journal (run_id, at, instance, kind, message) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [runID, Date().timeIntervalSince1970, instance, kind.rawValue, message])
    }

    private func insertSecrets(_ rows: [SecretRow], db: Database) throws {
        for row in rows {
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO secrets (run_id, instance, field, fingerprint, nonce, ciphertext, purged_at, key_id)
                VALUES (?, ?, ?, ?, ?, ?, NULL, ?)
                """).execute(arguments: [row.runID, row.instance, row.field, row.fingerprint, row.sealed.nonce, row.sealed.ciphertext,
                                 row.keyID])
        }
    }

    private static func lease(_ row: Row) -> Lease? {
        guard let token: String = row["lease_token"], let pid: Int = row["lease_pid"], let host: String = row["lease_host"],
              let heartbeat: Double = row["lease_heartbeat"] else { return nil }
        let ticks: Int64? = row["lease_start_ticks"]
        return Lease(owner: LeaseOwner(pid: Int32(truncatingIfNeeded: pid), host: host,
                                       startTicks: ticks.map { UInt64(bitPattern: $0) }, token: token),
                     heartbeat: Date(timeIntervalSince1970: heartbeat))
    }

    private static func runRecord(_ row: Row, opener: SecretOpener) throws -> RunRecord {
        let id: String = row["id"]
        let params = try opener.open(row["params"], instance: "")
        let source = RunbookSource(displayPath: row["source_display"], path: row["source_path"], text: row["definition"])
        return RunRecord(
            id: id, runbook: row["runbook"], source: source, definitionDigest: row["definition_digest"],
            params: params.mapValue ?? [:], state: RunState(rawValue: row["state"]) ?? .failed,
            onFailure: FailurePolicy(rawValue: row["on_failure"]) ?? .pause,
            keepsSecrets: row["keep_secrets"] ?? false,
            createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
            error: row["error"], lease: lease(row))
    }

    private static func instanceRecord(_ row: Row, opener: SecretOpener) throws -> InstanceRecord {
        let name: String = row["name"]
        var record = InstanceRecord(runID: row["run_id"], position: row["position"], stepID: row["step_id"],
                                    stepIndex: row["step_index"], name: name,
                                    item: try (row["item"] as String?).map { try opener.open($0, instance: name) },
                                    state: InstanceState(rawValue: row["state"]) ?? .pending, attempt: row["attempt"])
        record.inputs = try (row["inputs"] as String?).map { Fields(try opener.open($0, instance: name).mapValue ?? [:]) }
        record.intent = try (row["intent"] as String?).map { Fields(try opener.open($0, instance: name).mapValue ?? [:]) }
        record.outputs = try (row["outputs"] as String?).map { Fields(try opener.open($0, instance: name).mapValue ?? [:]) }
        record.error = row["error"]
        record.startedAt = (row["started_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        record.finishedAt = (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        return record
    }
}
