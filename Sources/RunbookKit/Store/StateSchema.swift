import GRDB

/// The state database's schema, as numbered migrations. A migration is only ever added,
/// never edited once it has shipped: databases in the field have already run it.
enum StateSchema {
    /// `PRAGMA application_id`: 'RUNB'. Tells our database from any other SQLite file.
    static let applicationID: Int32 = 0x5255_4E42

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-runs-instances-journal-secrets") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    runbook TEXT NOT NULL,
                    source_display TEXT NOT NULL,
                    source_path TEXT,
                    definition TEXT NOT NULL,
                    definition_digest TEXT NOT NULL,
                    params TEXT NOT NULL,
                    state TEXT NOT NULL,
                    on_failure TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    error TEXT,
                    lease_pid INTEGER,
                    lease_host TEXT,
                    lease_start_ticks INTEGER,
                    lease_token TEXT,
                    lease_heartbeat REAL
                );
                CREATE INDEX runs_by_creation ON runs(created_at);

                CREATE TABLE instances (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    step_id TEXT NOT NULL,
                    step_index INTEGER NOT NULL,
                    item TEXT,
                    state TEXT NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    inputs TEXT,
                    intent TEXT,
                    outputs TEXT,
                    error TEXT,
                    started_at REAL,
                    finished_at REAL,
                    PRIMARY KEY (run_id, position),
                    UNIQUE (run_id, name)
                );

                CREATE TABLE journal (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    instance TEXT,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX journal_by_run ON journal(run_id, seq);
                CREATE TRIGGER journal_is_append_only BEFORE UPDATE ON journal
                BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;

                CREATE TABLE secrets (
                    run_id TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    field TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    nonce BLOB,
                    ciphertext BLOB,
                    purged_at REAL,
                    PRIMARY KEY (run_id, instance, field)
                );
                """)
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        }
        migrator.registerMigration("v2-keep-secrets-and-key-ids") { db in
            // Whether the run keeps its delivered secrets after success (`--keep-secrets`).
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN keep_secrets INTEGER NOT NULL DEFAULT 0")
            // Which key sealed each secret, so a wrong key is named and a rotation can finish.
            try db.execute(sql: "ALTER TABLE secrets ADD COLUMN key_id TEXT NOT NULL DEFAULT ''")
        }
        return migrator
    }
}
