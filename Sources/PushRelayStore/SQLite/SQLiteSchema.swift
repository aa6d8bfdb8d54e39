import SQLiteNIO

/// The SQLite schema: ``tables`` (version 6) created whole in an empty file, then each step of
/// ``migrations`` in order. Its version is the file's `user_version`.
///
/// A file written by an earlier build (versions 1 to 5) is refused with a message, as is one from a newer
/// PushRelay. A later change adds a step to ``migrations``; a released step is never edited.
enum SQLiteSchema {
    /// The version ``tables`` write. Versions 1 to 5 were the development schemas before it.
    static let baseVersion = 6
    /// The schema version this binary writes.
    static var version: Int { self.baseVersion + self.migrations.count }

    /// Step `n` raises the version from `baseVersion + n` to the next.
    static let migrations: [[String]] = [
        // 7: the head of each ref, from webhooks and polls (missed-push recovery, SPEC section 12); "" is a
        // deleted ref. A repository is in `head_baselines` once its first round has been taken. Work no
        // delivery brought (recovery's rounds) has no `delivery`: the table is rebuilt without NOT NULL,
        // as SQLite changes a column (its foreign keys are off meanwhile: see ``create(on:)``).
        [
            """
            CREATE TABLE work_next (
                id INTEGER PRIMARY KEY,
                delivery INTEGER REFERENCES deliveries (id),
                parent INTEGER REFERENCES work (id),
                kind TEXT NOT NULL,
                payload BLOB NOT NULL,
                key TEXT,
                key_once INTEGER NOT NULL DEFAULT 0,
                work_group TEXT,
                superseded_at REAL,
                next_payload BLOB,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                queued_at REAL NOT NULL,
                next_attempt_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                last_error TEXT,
                result TEXT,
                result_unique INTEGER NOT NULL DEFAULT 0,
                attempt_started_at REAL,
                uncertain INTEGER NOT NULL DEFAULT 0,
                uncertain_since REAL,
                owner TEXT,
                lease_until REAL,
                fence INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            INSERT INTO work_next (id, delivery, parent, kind, payload, key, key_once, work_group, superseded_at,
                                   next_payload, state, attempts, queued_at, next_attempt_at, updated_at, last_error,
                                   result, result_unique, attempt_started_at, uncertain, uncertain_since, owner,
                                   lease_until, fence)
            SELECT id, delivery, parent, kind, payload, key, key_once, work_group, superseded_at, next_payload, state,
                   attempts, queued_at, next_attempt_at, updated_at, last_error, result, result_unique,
                   attempt_started_at, uncertain, uncertain_since, owner, lease_until, fence
            FROM work
            """,
            "DROP TABLE work",
            "ALTER TABLE work_next RENAME TO work",
            "CREATE INDEX work_due ON work (state, kind, next_attempt_at)",
            "CREATE INDEX work_lease ON work (state, lease_until)",
            "CREATE INDEX work_delivery ON work (delivery)",
            "CREATE UNIQUE INDEX work_result ON work (kind, result) WHERE result IS NOT NULL AND result_unique = 1",
            "CREATE UNIQUE INDEX work_key ON work (kind, key) WHERE key IS NOT NULL",
            "CREATE INDEX work_group ON work (kind, work_group) WHERE work_group IS NOT NULL",
            """
            CREATE TABLE ref_heads (
                repository TEXT NOT NULL,
                ref TEXT NOT NULL,
                head TEXT NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (repository, ref)
            ) WITHOUT ROWID
            """,
            "CREATE TABLE head_baselines (repository TEXT PRIMARY KEY, taken_at REAL NOT NULL) WITHOUT ROWID",
        ],
        // 8: each pull request's plan comment (SPEC section 13), as JSON, written by compare-and-set on
        // `version`.
        [
            """
            CREATE TABLE plan_comments (
                repository TEXT NOT NULL,
                number INTEGER NOT NULL,
                version INTEGER NOT NULL,
                comment TEXT NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (repository, number)
            ) WITHOUT ROWID
            """
        ],
        // 9: plan comments become one kind of compare-and-set document among others (a commit's summary
        // status), kept in one table whose rows retention removes once not written for its period.
        [
            """
            CREATE TABLE documents (
                scope TEXT NOT NULL,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                body TEXT NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (scope, name)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX documents_updated ON documents (updated_at)",
            """
            INSERT INTO documents (scope, name, version, body, updated_at)
            SELECT 'plan-comment', repository || '#' || number, version, comment, updated_at FROM plan_comments
            """,
            "DROP TABLE plan_comments",
        ],
    ]

    static let tables: [String] = [
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            event TEXT NOT NULL,
            received_at REAL NOT NULL,
            repository TEXT,
            ref TEXT,
            decision TEXT NOT NULL,
            reason TEXT NOT NULL,
            signature TEXT NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            UNIQUE (provider, delivery_id)
        )
        """,
        "CREATE INDEX deliveries_received ON deliveries (received_at)",
        // The queue: work of any kind, a payload only the kind's handler reads (``WorkQueue``'s rules,
        // written once in ``InMemoryDeliveryStore``).
        """
        CREATE TABLE work (
            id INTEGER PRIMARY KEY,
            delivery INTEGER NOT NULL REFERENCES deliveries (id),
            -- The item whose outcome queued this one; NULL for work the delivery queued.
            parent INTEGER REFERENCES work (id),
            kind TEXT NOT NULL,
            payload BLOB NOT NULL,
            key TEXT,
            -- A keyed item queued once: queuing it again does nothing.
            key_once INTEGER NOT NULL DEFAULT 0,
            -- A newer item of the group supersedes the older unfinished ones.
            work_group TEXT,
            -- Set on a running item a newer one of its group superseded: it ends superseded unless it succeeds.
            superseded_at REAL,
            -- A keyed item queued again while it runs: its payload once the attempt ends.
            next_payload BLOB,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            queued_at REAL NOT NULL,
            next_attempt_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            last_error TEXT,
            result TEXT,
            -- Its result is its alone among the kind's items (a Terrakube job id).
            result_unique INTEGER NOT NULL DEFAULT 0,
            attempt_started_at REAL,
            uncertain INTEGER NOT NULL DEFAULT 0,
            uncertain_since REAL,
            owner TEXT,
            lease_until REAL,
            fence INTEGER NOT NULL DEFAULT 0
        )
        """,
        """
        CREATE TABLE work_attempts (
            id INTEGER PRIMARY KEY,
            work INTEGER NOT NULL REFERENCES work (id),
            started_at REAL,
            finished_at REAL NOT NULL,
            outcome TEXT NOT NULL,
            status INTEGER,
            detail TEXT
        )
        """,
        "CREATE INDEX work_attempts_work ON work_attempts (work)",
        // A claim scans it once per kind, in due order, and stops at its limit.
        "CREATE INDEX work_due ON work (state, kind, next_attempt_at)",
        "CREATE INDEX work_lease ON work (state, lease_until)",
        "CREATE INDEX work_delivery ON work (delivery)",
        "CREATE UNIQUE INDEX work_result ON work (kind, result) WHERE result IS NOT NULL AND result_unique = 1",
        "CREATE UNIQUE INDEX work_key ON work (kind, key) WHERE key IS NOT NULL",
        "CREATE INDEX work_group ON work (kind, work_group) WHERE work_group IS NOT NULL",
        "CREATE TABLE store_health (id INTEGER PRIMARY KEY, checked_at REAL NOT NULL)",
        "INSERT INTO store_health (id, checked_at) VALUES (1, 0)",
    ]

    /// Creates the schema in an empty file, or brings an older one up to date, inside one transaction; a
    /// failure leaves the file as it was.
    /// - Throws: ``StoreSchemaMismatch`` when the file holds a version this binary cannot bring up to date.
    static func create(on connection: SQLiteConnection) async throws {
        let current = try await self.version(of: connection)
        guard current != self.version else { return }
        guard current == 0 || (self.baseVersion..<self.version).contains(current) else {
            throw StoreSchemaMismatch(found: current, expected: self.version)
        }
        // A step that rebuilds a table needs the foreign keys off (they cannot change inside a transaction),
        // and checked before it commits.
        _ = try await connection.query("PRAGMA foreign_keys = OFF")
        do {
            try await self.migrate(connection)
            _ = try await connection.query("PRAGMA foreign_keys = ON")
        } catch {
            _ = try? await connection.query("PRAGMA foreign_keys = ON")
            throw error
        }
    }

    private static func migrate(_ connection: SQLiteConnection) async throws {
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            // Read again under the write lock: another process may have done it meanwhile.
            let found = try await self.version(of: connection)
            if found == 0 {
                for statement in self.tables { _ = try await connection.query(statement) }
            }
            if found != self.version {
                for step in self.migrations[(max(found, self.baseVersion) - self.baseVersion)...] {
                    for statement in step { _ = try await connection.query(statement) }
                }
                guard try await connection.query("PRAGMA foreign_key_check").isEmpty else {
                    throw StoreCorruption(column: "a foreign key, after migrating")
                }
                _ = try await connection.query("PRAGMA user_version = \(self.version)")
            }
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    static func version(of connection: SQLiteConnection) async throws -> Int {
        try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
    }
}
