import Foundation
import GRDB
@testable import RunbookKit
import Testing
import TestSupport

/// The SQLite store: a real `state.db` in a temp `RUNBOOK_HOME`.
@Suite("SQLite store")
struct SQLiteRunStoreTests {
    let directory: TemporaryDirectory
    let home: String
    let runbook: Runbook

    init() throws {
        directory = try TemporaryDirectory()
        home = directory.file("home")
        runbook = try loadRunbook("""
            name: ops
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
              - { id: b, uses: test.effect, foreach: [x, y], with: { key: "${item}" } }
            """)
    }

    var databasePath: String { (home as NSString).appendingPathComponent("state.db") }

    func open() throws(StoreError) -> SQLiteRunStore {
        try SQLiteRunStore.open(home: home, vault: SecretVault(keyFile: SecretKeyFile.location(home: home, environment: [:])))
    }

    /// A run with instance `a` and `b[x]`, `b[y]`, owned by `owner`.
    func makeRun(_ store: SQLiteRunStore, id: String = "run-1", owner: LeaseOwner, params: [String: Value] = [:]) throws {
        try store.createRun(NewRun(id: id, runbook: runbook, params: params, onFailure: .pause), owner: owner)
        try store.expand(id, instances: [InstanceRecord(runID: id, position: 0, stepID: "a", stepIndex: 0, name: "a", item: nil)],
                         owner: owner)
        try store.expand(id, instances: [
            InstanceRecord(runID: id, position: 1, stepID: "b", stepIndex: 1, name: "b[x]", item: "x"),
            InstanceRecord(runID: id, position: 2, stepID: "b", stepIndex: 1, name: "b[y]", item: "y"),
        ], owner: owner)
    }

    // MARK: Opening

    @Test func openingCreatesAPrivateHomeAndAWALDatabase() throws {
        let nested = directory.file("xdg/state/runbook")
        let store = try SQLiteRunStore.open(home: nested, vault: SecretVault(keyFile: SecretKeyFile.location(home: nested, environment: [:])))
        #expect(try fileMode(nested) == 0o700)
        #expect(store.path == (nested as NSString).appendingPathComponent("state.db"))
        #expect(FileManager.default.fileExists(atPath: store.path))

        // The journal mode is a property of the file: any connection sees it.
        let raw = try rawConnection(store.path)
        #expect(try raw.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try raw.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") } == 0x5255_4E42)
        #expect(try raw.read { try Set(String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")) }
            .isSuperset(of: ["runs", "instances", "journal", "secrets"]))

        // `synchronous` is per connection: ask the store's own connections, above all the
        // writer, which commits every checkpoint. FULL is 2 (NORMAL, 1, can lose the last
        // commits on a power cut).
        let pool = try #require(connectionPool(of: store))
        let writer = try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(writer == 2, "the writer connection runs with synchronous=\(writer.map(String.init) ?? "nil")")
        #expect(try pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
    }

    @Test func openingAnExistingStoreNeverCreatesOne() throws {
        let vault = SecretVault(keyFile: SecretKeyFile.location(home: home, environment: [:]))
        #expect(try SQLiteRunStore.openExisting(home: home, vault: vault) == nil)
        #expect(!FileManager.default.fileExists(atPath: home))
        try makeRun(try open(), owner: .current())
        let existing = try #require(try SQLiteRunStore.openExisting(home: home, vault: vault))
        #expect(try existing.runs().map(\.id) == ["run-1"])
    }

    @Test func aHomeThatIsAFileIsUnwritable() throws {
        #expect(FileManager.default.createFile(atPath: home, contents: Data("x".utf8)))
        do {
            _ = try open()
            Issue.record("opened a store in a file")
        } catch {
            guard case .unwritable(let path, let reason) = error else { Issue.record("\(error)"); return }
            #expect(path == home)
            #expect(reason == "it is not a directory")
            #expect(error.description.contains("set RUNBOOK_HOME to a writable directory"))
        }
    }

    @Test func aCorruptFileIsRefusedAndLeftAsItWas() throws {
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        #expect(FileManager.default.createFile(atPath: databasePath, contents: garbage))
        do {
            _ = try open()
            Issue.record("opened a corrupt file")
        } catch {
            guard case .notADatabase(let path) = error else { Issue.record("\(error)"); return }
            #expect(path == databasePath)
            #expect(error.description.contains("move it aside"))
        }
        #expect(FileManager.default.contents(atPath: databasePath) == garbage)
    }

    @Test func aForeignSQLiteDatabaseIsRefusedAndLeftAsItWas() throws {
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            let foreign = try rawConnection(databasePath)
            try foreign.write { db in
                try db.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('acme')")
            }
        }
        let before = try #require(FileManager.default.contents(atPath: databasePath))
        do {
            _ = try open()
            Issue.record("opened a foreign database")
        } catch {
            guard case .foreignDatabase(let path) = error else { Issue.record("\(error)"); return }
            #expect(path == databasePath)
            #expect(error.description.contains("runbook did not create"))
        }
        let after = try #require(FileManager.default.contents(atPath: databasePath))
        #expect(after == before, "the foreign database was modified (header bytes 18-19: \(Array(before[18...19])) -> \(Array(after[18...19])))")
        #expect(!FileManager.default.fileExists(atPath: databasePath + "-wal"))
    }

    @Test func aDatabaseFromANewerVersionIsRefused() throws {
        do {
            let store = try open()
            try makeRun(store, owner: .current())
        }
        try rawConnection(databasePath).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2-from-the-future')")
        }
        do {
            _ = try open()
            Issue.record("opened a database with an unknown migration")
        } catch {
            guard case .newerSchema(let path) = error else { Issue.record("\(error)"); return }
            #expect(path == databasePath)
            #expect(error.description.contains("upgrade runbook"))
        }
        // Its runs are still there for the newer version.
        #expect(try rawConnection(databasePath).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") } == 1)
    }

    @Test func theJournalCannotBeRewritten() throws {
        let store = try open()
        try makeRun(store, owner: .current())
        let raw = try rawConnection(databasePath)
        do {
            try raw.write { try $0.execute(sql: "UPDATE journal SET message = 'nothing happened'") }
            Issue.record("the journal was rewritten")
        } catch let error as DatabaseError {
            #expect(error.message == "the journal is append-only")
        }
        #expect(try store.journal("run-1").allSatisfy { $0.message != "nothing happened" })
    }

    @Test func manyStoresShareOneDatabase() throws {
        let first = try open(), second = try open()
        try makeRun(first, id: "run-1", owner: .current())
        try makeRun(second, id: "run-2", owner: .current())
        #expect(try first.runs().map(\.id) == ["run-1", "run-2"])
        #expect(try second.latestRun()?.id == "run-2")
    }

    // MARK: Runs and transitions

    @Test func aNewRunStoresItsDefinitionAndIsOwned() throws {
        let store = try open()
        let owner = LeaseOwner.current()
        try makeRun(store, owner: owner, params: ["user": "ops-admin", "policies": ["arn:a"]])
        let run = try #require(try store.run("run-1"))
        #expect(run.runbook == "ops")
        #expect(run.state == .running)
        #expect(run.effectiveState() == .running)
        #expect(run.onFailure == .pause)
        #expect(run.params == ["user": "ops-admin", "policies": ["arn:a"]])
        #expect(run.source == runbook.source)
        #expect(run.definitionDigest == runbook.source.digest)
        #expect(run.lease?.owner == owner)
        let snapshot = try #require(try store.load("run-1", revealSecrets: false))
        #expect(snapshot.instances.map(\.name) == ["a", "b[x]", "b[y]"])
        #expect(snapshot.instances.map(\.state) == [.pending, .pending, .pending])
        #expect(snapshot.instances.map(\.item) == [nil, "x", "y"])
        #expect(try store.journal("run-1").map(\.kind) == [.created, .expanded])
        #expect(try store.run("no-such-run") == nil)
        #expect(try store.load("no-such-run", revealSecrets: true) == nil)
    }

    @Test func everyTransitionRoundTripsAndAppendsOneJournalEntry() throws {
        let store = try open()
        let owner = LeaseOwner.current()
        try makeRun(store, owner: owner)

        func step(_ transition: InstanceTransition, _ instance: String = "a",
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (InstanceRecord, JournalEntry?) {
            let before = try store.journal("run-1").count
            try store.record(transition, instance: instance, runID: "run-1", owner: owner)
            let journal = try store.journal("run-1")
            #expect(journal.count == before + 1, "journal entries added", sourceLocation: sourceLocation)
            let record = try #require(try store.load("run-1", revealSecrets: true)?.instances.first { $0.name == instance },
                                      sourceLocation: sourceLocation)
            return (record, journal.last)
        }

        var (record, entry) = try step(.started(attempt: 1, inputs: ["key": "a", "n": 3], intent: ["existed": false]))
        #expect(record.state == .started)
        #expect(record.attempt == 1)
        #expect(record.inputs == ["key": "a", "n": 3])
        #expect(record.intent == ["existed": false])
        #expect(record.startedAt != nil)
        #expect(entry?.kind == .started)
        #expect(entry?.instance == "a")

        (record, entry) = try step(.failed("the endpoint said no"))
        #expect(record.state == .failed)
        #expect(record.error == "the endpoint said no")
        #expect(entry?.kind == .failed)
        #expect(entry?.message == "the endpoint said no")

        (record, entry) = try step(.settledNotApplied("settled: not applied"))
        #expect(record.state == .pending)
        #expect(entry?.kind == .settled)

        (record, entry) = try step(.started(attempt: 2, inputs: ["key": "a"], intent: [:]))
        #expect(record.attempt == 2)
        #expect(record.error == nil)

        (record, entry) = try step(.applied(["id": "AIDA123", "arns": ["a", "b"]], note: nil))
        #expect(record.state == .applied)
        #expect(record.outputs == ["id": "AIDA123", "arns": ["a", "b"]])
        #expect(record.finishedAt != nil)
        #expect(entry?.kind == .applied)

        (record, entry) = try step(.rollingBack)
        #expect(record.state == .rollingBack)
        #expect(entry?.kind == .rollingBack)

        (record, entry) = try step(.rollbackFailed("access denied"))
        #expect(record.state == .rollingBack)
        #expect(record.error == "access denied")
        #expect(entry?.kind == .rollbackFailed)

        (record, entry) = try step(.rolledBack(nil))
        #expect(record.state == .rolledBack)
        #expect(record.error == nil)
        #expect(entry?.kind == .rolledBack)

        (record, entry) = try step(.skipped("when is false"), "b[x]")
        #expect(record.state == .skipped)
        #expect(entry?.kind == .skipped)
        #expect(entry?.message == "when is false")

        (record, entry) = try step(.applied(["k": "v"], note: "settled: the change was in place"), "b[y]")
        #expect(record.state == .applied)
        #expect(entry?.kind == .settled)

        let before = try store.journal("run-1").count
        try store.setState(.failed, error: "step a failed", runID: "run-1", owner: owner)
        try store.note("retrying", instance: "a", runID: "run-1", owner: owner)
        let journal = try store.journal("run-1")
        #expect(journal.count == before + 2)
        #expect(journal.suffix(2).map(\.kind) == [.state, .note])
        #expect(journal.map(\.sequence) == journal.map(\.sequence).sorted())
        let run = try #require(try store.run("run-1"))
        #expect(run.state == .failed)
        #expect(run.error == "step a failed")
    }

    // MARK: Leases

    @Test func aLiveOwnerKeepsTheRun() throws {
        let store = try open()
        let owner = LeaseOwner.current()
        try makeRun(store, owner: owner)
        #expect(try store.acquireLease("run-1", owner: owner) == .acquired)

        let second = LeaseOwner.current()
        do {
            _ = try store.acquireLease("run-1", owner: second)
            Issue.record("a second owner took a run from a live process")
        } catch {
            guard case .leaseHeld(let runID, let holder, _) = error else { Issue.record("\(error)"); return }
            #expect(runID == "run-1")
            #expect(holder.pid == getpid())
            #expect(holder.host == owner.host)
            #expect(error.description.contains("run run-1 is in use by pid \(getpid()) on \(owner.host)"))
        }
        #expect(try store.run("run-1")?.lease?.owner.token == owner.token)
    }

    @Test func aDeadOwnersRunIsTakenOverAndItsWritesFenced() throws {
        let store = try open()
        let dead = try deadOwner()
        try makeRun(store, owner: dead)
        #expect(try store.run("run-1")?.effectiveState() == .interrupted)

        let live = LeaseOwner.current()
        #expect(try store.acquireLease("run-1", owner: live) == .tookOver(from: dead))
        #expect(try store.run("run-1")?.lease?.owner == live)
        #expect(try store.run("run-1")?.effectiveState() == .running)
        let takeover = try #require(try store.journal("run-1").last)
        #expect(takeover.kind == .takenOver)
        #expect(takeover.message.contains("pid \(dead.pid)"))

        // The old owner, were it to come back, can change nothing.
        let snapshot = try #require(try store.load("run-1", revealSecrets: false))
        let journal = try store.journal("run-1").count
        let writes: [(String, () throws(StoreError) -> Void)] = [
            ("record", { () throws(StoreError) in try store.record(.started(attempt: 1, inputs: [:], intent: [:]), instance: "a", runID: "run-1", owner: dead) }),
            ("setState", { () throws(StoreError) in try store.setState(.succeeded, error: nil, runID: "run-1", owner: dead) }),
            ("note", { () throws(StoreError) in try store.note("hello", instance: nil, runID: "run-1", owner: dead) }),
            ("expand", { () throws(StoreError) in
                try store.expand("run-1", instances: [InstanceRecord(runID: "run-1", position: 3, stepID: "c", stepIndex: 2,
                                                                     name: "c", item: nil)], owner: dead)
            }),
            ("renewLease", { () throws(StoreError) in try store.renewLease("run-1", owner: dead) }),
        ]
        for (name, write) in writes {
            do {
                try write()
                Issue.record("\(name) with a lost lease succeeded")
            } catch {
                guard case .leaseLost("run-1") = error else { Issue.record("\(name): \(error)"); continue }
            }
        }
        try store.releaseLease("run-1", owner: dead)
        let after = try #require(try store.load("run-1", revealSecrets: false))
        #expect(after.run.state == snapshot.run.state)
        #expect(after.run.lease?.owner == live)
        #expect(after.instances.map(\.name) == snapshot.instances.map(\.name))
        #expect(after.instances.map(\.state) == snapshot.instances.map(\.state))
        #expect(try store.journal("run-1").count == journal)
    }

    @Test func aReleasedRunCanBeTakenAndRenewed() throws {
        let store = try open()
        let owner = LeaseOwner.current()
        try makeRun(store, owner: owner)
        try store.releaseLease("run-1", owner: owner)
        #expect(try store.run("run-1")?.lease == nil)
        #expect(try store.run("run-1")?.effectiveState() == .interrupted)
        let next = LeaseOwner.current()
        #expect(try store.acquireLease("run-1", owner: next) == .acquired)
        let heartbeat = try #require(try store.run("run-1")?.lease?.heartbeat)
        try store.renewLease("run-1", owner: next)
        #expect(try #require(try store.run("run-1")?.lease?.heartbeat) >= heartbeat)
    }

    @Test func anOwnerOnAnotherHostHoldsTheRunUntilItsHeartbeatStops() throws {
        let store = try open()
        let remote = LeaseOwner(pid: 1, host: "worker-7.example", startTicks: nil, token: "remote-token")
        try makeRun(store, owner: remote)
        do {
            _ = try store.acquireLease("run-1", owner: .current())
            Issue.record("took a run whose remote owner heartbeats")
        } catch {
            guard case .leaseHeld(_, let holder, _) = error else { Issue.record("\(error)"); return }
            #expect(holder.host == "worker-7.example")
        }
        let stale = Date().timeIntervalSince1970 - LeaseOwner.heartbeatTimeout - 5
        try rawConnection(databasePath).write { try $0.execute(sql: "UPDATE runs SET lease_heartbeat = ?", arguments: [stale]) }
        #expect(try store.acquireLease("run-1", owner: .current()) == .tookOver(from: remote))
    }

    @Test func anUnknownRunCannotBeLeased() throws {
        let store = try open()
        do {
            _ = try store.acquireLease("nope", owner: .current())
            Issue.record("leased an unknown run")
        } catch {
            guard case .unknownRun("nope") = error else { Issue.record("\(error)"); return }
            #expect(error.description == "no run 'nope'; see `runbook runs`")
        }
    }

    // MARK: Secrets at rest

    static let secrets = (
        param: "param-7c1f0e9d-secret",
        input: "input-1b2c3d4e-secret",
        nested: "nested-9a8b7c6d-secret",
        intent: "intent-5e6f7a8b-secret",
        output: "output-0f1e2d3c-secret"
    )
    static var allSecrets: [String] { [secrets.param, secrets.input, secrets.nested, secrets.intent, secrets.output] }

    /// A run whose params, inputs, intent and outputs hold secrets.
    func storeSecrets(_ store: SQLiteRunStore, id: String = "run-1") throws {
        let owner = LeaseOwner.current()
        try makeRun(store, id: id, owner: owner, params: ["token": .secret(Secret(Self.secrets.param)), "user": "ops"])
        try store.record(.started(attempt: 1,
                                  inputs: ["password": .secret(Secret(Self.secrets.input)),
                                           "env": ["AUTH": .secret(Secret(Self.secrets.nested)), "plain": "visible"]],
                                  intent: ["previous": ["credentials": .secret(Secret(Self.secrets.intent))]]),
                         instance: "a", runID: id, owner: owner)
        try store.record(.applied(["access_key_id": "AKIAEXAMPLE", "secret_access_key": .secret(Secret(Self.secrets.output))],
                                  note: nil), instance: "a", runID: id, owner: owner)
    }

    // MARK: Purge (docs/security.md, "Purged once delivered")

    @Test func successPurgesDeliveredSecretsAndKeepsIntentsUntilRollback() throws {
        let store = try open()
        try storeSecrets(store)
        let owner = try #require(try store.run("run-1")?.lease?.owner)
        func instance() throws -> InstanceRecord { try #require(try store.load("run-1", revealSecrets: true)?.instances.first) }
        let fingerprint = try instance().outputs?["secret_access_key"]

        try store.setState(.succeeded, error: nil, purge: .delivered, runID: "run-1", owner: owner)
        guard case .secret(let output)? = try instance().outputs?["secret_access_key"] else {
            Issue.record("the output stays a secret")
            return
        }
        #expect(!output.isAvailable, "a delivered secret is purged with the success")
        #expect(Value.secret(output).displayText == fingerprint?.displayText, "its fingerprint stays")
        #expect(try instance().inputs?["password"]?.stringValue == nil)
        #expect(try store.load("run-1", revealSecrets: true)?.run.params["token"]?.stringValue == nil)
        let intent = try instance().intent?["previous"]?.mapValue?["credentials"]
        #expect(intent?.stringValue == Self.secrets.intent, "what a rollback needs is kept")
        #expect(try store.journal("run-1").suffix(2).map(\.kind) == [.state, .purged], "one transaction, success then purge")

        try store.setState(.rolledBack, error: nil, purge: .all, runID: "run-1", owner: owner)
        #expect(try instance().intent?["previous"]?.mapValue?["credentials"]?.stringValue == nil, "rolled back: nothing kept")
    }

    // MARK: Key rotation (docs/security.md, "Rotation")

    func revealedOutput(_ store: SQLiteRunStore) throws -> String? {
        try store.load("run-1", revealSecrets: true)?.instances.first?.outputs?["secret_access_key"]?.stringValue
    }

    @Test func rotationReSealsEverySecretUnderANewKey() throws {
        let store = try open()
        try storeSecrets(store)
        let keyPath = (home as NSString).appendingPathComponent("secret.key")
        let before = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        #expect(try store.rotateSecretKey() == Self.allSecrets.count)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)) != before)
        #expect(try fileMode(keyPath) == 0o600)
        #expect(try revealedOutput(try open()) == Self.secrets.output)
    }

    /// A crash after the re-sealing commit and before the rename leaves the database sealed
    /// under `secret.key.new` while `secret.key` is the old key: the next use finishes it.
    @Test func aRotationCutShortAfterItsCommitIsFinishedOnNextUse() throws {
        try storeSecrets(try open())
        let keyPath = (home as NSString).appendingPathComponent("secret.key")
        let oldKey = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        #expect(try open().rotateSecretKey() > 0)
        let newKey = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        // Recreate what the crash leaves: the new key only in secret.key.new, the old one in place.
        #expect(rename(keyPath, keyPath + ".new") == 0)
        try oldKey.write(to: URL(fileURLWithPath: keyPath))
        try setFileMode(keyPath, 0o600)

        #expect(try revealedOutput(try open()) == Self.secrets.output)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)) == newKey, "the new key was promoted")
        #expect(!FileManager.default.fileExists(atPath: keyPath + ".new"))
    }

    /// A crash before the commit leaves an unused `secret.key.new`: the old key still opens
    /// everything, and the next rotation discards the leftover.
    @Test func aRotationCutShortBeforeItsCommitChangesNothing() throws {
        try storeSecrets(try open())
        let keyPath = (home as NSString).appendingPathComponent("secret.key")
        let leftover = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        try leftover.write(to: URL(fileURLWithPath: keyPath + ".new"))
        try setFileMode(keyPath + ".new", 0o600)

        let store = try open()
        #expect(try revealedOutput(store) == Self.secrets.output)
        #expect(try store.rotateSecretKey() > 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)) != leftover, "a fresh key, not the leftover")
        #expect(try revealedOutput(try open()) == Self.secrets.output)
    }

    @Test func secretValuesAreInNoByteOfTheDatabaseFiles() throws {
        var store: SQLiteRunStore? = try open()
        try storeSecrets(try #require(store))
        let files = ["state.db", "state.db-wal", "state.db-shm"].map { (home as NSString).appendingPathComponent($0) }
        #expect(FileManager.default.fileExists(atPath: files[1]), "the WAL holds the recent commits")
        for file in files {
            for secret in Self.allSecrets {
                #expect(!fileContains(file, secret), "\(secret) is in \(file)")
            }
        }
        // Plain values are stored as they are, so the search would find a secret if it were there.
        #expect(fileContains(files[0], "AKIAEXAMPLE") || fileContains(files[1], "AKIAEXAMPLE"))

        // Closing checkpoints the WAL into the database file: still nothing.
        store = nil
        for file in try FileManager.default.contentsOfDirectory(atPath: home) {
            for secret in Self.allSecrets {
                #expect(!fileContains((home as NSString).appendingPathComponent(file), secret), "\(secret) is in \(file)")
            }
        }
    }

    @Test func secretsAreRevealedOnlyWhenAsked() throws {
        let store = try open()
        try storeSecrets(store)

        let revealed = try #require(try store.load("run-1", revealSecrets: true))
        #expect(revealed.run.params["token"]?.stringValue == Self.secrets.param)
        #expect(revealed.run.params["user"] == "ops")
        let a = try #require(revealed.instances.first)
        #expect(a.inputs?["password"]?.stringValue == Self.secrets.input)
        #expect(a.inputs?["env"]?.mapValue?["AUTH"]?.stringValue == Self.secrets.nested)
        #expect(a.inputs?["env"]?.mapValue?["plain"] == "visible")
        #expect(a.intent?["previous"]?.mapValue?["credentials"]?.stringValue == Self.secrets.intent)
        #expect(a.outputs?["secret_access_key"]?.stringValue == Self.secrets.output)
        #expect(a.outputs?["access_key_id"] == "AKIAEXAMPLE")

        let sealed = try #require(try store.load("run-1", revealSecrets: false))
        let sealedA = try #require(sealed.instances.first)
        let shown = [sealed.run.params["token"], sealedA.inputs?["password"], sealedA.outputs?["secret_access_key"]]
        for value in shown {
            guard case .secret(let secret)? = value else { Issue.record("not a secret: \(String(describing: value))"); continue }
            #expect(secret.revealed == nil)
            #expect(secret.description.wholeMatch(of: /\[secret [0-9a-f]{8}\]/) != nil, "\(secret)")
        }
        // The fingerprint is the same whether or not the value is revealed.
        guard case .secret(let open)? = a.outputs?["secret_access_key"], case .secret(let closed)? = sealedA.outputs?["secret_access_key"] else {
            Issue.record("secret outputs are not secrets")
            return
        }
        #expect(open.fingerprint == closed.fingerprint)
        #expect(open.fingerprint != nil)

        // Listings never reveal.
        #expect(try store.run("run-1")?.params["token"]?.stringValue == nil)
        #expect(try store.runs().first?.params["token"]?.displayText.hasPrefix("[secret ") == true)
    }

    @Test func aTamperedCiphertextIsAClearErrorForThatRunOnly() throws {
        let store = try open()
        try storeSecrets(store, id: "run-1")
        try storeSecrets(store, id: "run-2")
        try rawConnection(databasePath).write { db in
            let blob = try #require(try Data.fetchOne(db, sql: """
                SELECT ciphertext FROM secrets WHERE run_id = 'run-1' AND field = 'outputs.secret_access_key'
                """))
            var flipped = blob
            flipped[flipped.startIndex + 3] ^= 0x20
            try db.execute(sql: "UPDATE secrets SET ciphertext = ? WHERE run_id = 'run-1' AND field = 'outputs.secret_access_key'",
                           arguments: [flipped])
        }
        do {
            _ = try store.load("run-1", revealSecrets: true)
            Issue.record("a tampered secret was opened")
        } catch {
            guard case .secret(.tampered) = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains("failed its integrity check"))
        }
        // Without revealing, the run still reads; other runs still open.
        #expect(try store.run("run-1")?.state == .running)
        #expect(try store.runs().map(\.id) == ["run-1", "run-2"])
        #expect(try store.load("run-1", revealSecrets: false)?.instances.count == 3)
        #expect(try store.load("run-2", revealSecrets: true)?.instances.first?.outputs?["secret_access_key"]?.stringValue
            == Self.secrets.output)
    }

    @Test func aCiphertextCopiedFromAnotherRunDoesNotOpen() throws {
        let store = try open()
        try storeSecrets(store, id: "run-1")
        try storeSecrets(store, id: "run-2")
        try rawConnection(databasePath).write { db in
            try db.execute(sql: """
                UPDATE secrets SET
                    nonce = (SELECT nonce FROM secrets WHERE run_id = 'run-2' AND field = 'params.token'),
                    ciphertext = (SELECT ciphertext FROM secrets WHERE run_id = 'run-2' AND field = 'params.token')
                WHERE run_id = 'run-1' AND field = 'params.token'
                """)
        }
        do {
            _ = try store.load("run-1", revealSecrets: true)
            Issue.record("a ciphertext moved between runs was opened")
        } catch {
            guard case .secret(.tampered) = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func anotherKeyCannotRevealButListingsStillWork() throws {
        do {
            let store = try open()
            try storeSecrets(store)
        }
        let keyPath = (home as NSString).appendingPathComponent("secret.key")
        try FileManager.default.removeItem(atPath: keyPath)
        #expect(FileManager.default.createFile(atPath: keyPath, contents: Data(repeating: 0x42, count: 32),
                                               attributes: [.posixPermissions: 0o600]))
        let store = try open()
        #expect(try store.runs().count == 1)
        #expect(try store.load("run-1", revealSecrets: false) != nil)
        do {
            _ = try store.load("run-1", revealSecrets: true)
            Issue.record("opened secrets with another key")
        } catch {
            // The stored key id names the key that sealed the values.
            guard case .secret(.wrongKey) = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func aMissingKeyIsAClearErrorWhenSecretsAreNeeded() throws {
        do {
            let store = try open()
            try storeSecrets(store)
        }
        let keyPath = (home as NSString).appendingPathComponent("secret.key")
        try FileManager.default.removeItem(atPath: keyPath)
        let store = try open()
        do {
            _ = try store.load("run-1", revealSecrets: true)
            Issue.record("revealed without a key")
        } catch {
            guard case .secret(.keyFileMissing(let path)) = error else { Issue.record("\(error)"); return }
            #expect(path == keyPath)
        }
        // Opening did not quietly create a new key, which would make the old secrets unreadable for good.
        #expect(!FileManager.default.fileExists(atPath: keyPath))
    }

    @Test func runsWithoutSecretsNeverNeedTheKey() throws {
        let store = try open()
        try makeRun(store, owner: .current(), params: ["user": "ops"])
        try store.record(.applied(["id": "x"], note: nil), instance: "a", runID: "run-1", owner: try #require(try store.run("run-1")?.lease?.owner))
        #expect(try store.load("run-1", revealSecrets: true)?.instances.first?.outputs == ["id": "x"])
        #expect(!FileManager.default.fileExists(atPath: (home as NSString).appendingPathComponent("secret.key")))
    }

    /// Plain data is stored as it was given, even when it looks like a sealed reference.
    @Test func plainDataShapedLikeASealedReferenceRoundTrips() throws {
        let store = try open()
        let owner = LeaseOwner.current()
        try makeRun(store, owner: owner)
        let odd: Value = ["$secret": "outputs.id", "fp": "00000000"]
        try store.record(.applied(["payload": odd], note: nil), instance: "a", runID: "run-1", owner: owner)
        #expect(try store.load("run-1", revealSecrets: true)?.instances.first?.outputs?["payload"] == odd)
    }
}
