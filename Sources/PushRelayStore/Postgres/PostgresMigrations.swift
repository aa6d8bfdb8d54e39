import Logging
import PostgresNIO

/// The PostgreSQL schema, in the `pushrelay` schema of the database, created whole in an empty one.
///
/// Every replica runs ``run(on:logger:)`` at start, in one transaction under a transaction-scoped advisory
/// lock (it cannot be left behind, PgBouncer or not), reading the version again once it holds the lock:
/// however many replicas start at once on an empty database, one creates the schema and the others find it
/// done. A database holding one of the development schemas (versions 1 to 3) is refused with a message, as
/// is one from a newer PushRelay. A later change appends a step to ``steps``; a released step is never
/// edited.
enum PostgresMigrations {
    /// Versions 1 to 3 were the development schemas before this one.
    static let firstVersion = 4

    static let steps: [[PostgresQuery]] = [
        [
            """
            CREATE TABLE pushrelay.deliveries (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                provider text NOT NULL,
                delivery_id text NOT NULL,
                event text NOT NULL,
                received_at timestamptz NOT NULL,
                repository text,
                ref text,
                decision text NOT NULL,
                reason text NOT NULL,
                signature text NOT NULL,
                headers text NOT NULL,
                body bytea NOT NULL,
                UNIQUE (provider, delivery_id)
            )
            """,
            // Bodies are stored as they came, uncompressed: compressing each one cost more CPU at the accept
            // path than the disk it saves (a webhook body is a few KB).
            "ALTER TABLE pushrelay.deliveries ALTER COLUMN body SET STORAGE EXTERNAL",
            "CREATE INDEX deliveries_received ON pushrelay.deliveries (received_at)",
            // The queue: work of any kind, a payload only the kind's handler reads (``WorkQueue``'s rules,
            // written once in ``InMemoryDeliveryStore``).
            """
            CREATE TABLE pushrelay.work (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery bigint NOT NULL REFERENCES pushrelay.deliveries (id),
                -- The item whose outcome queued this one; NULL for work the delivery queued.
                parent bigint REFERENCES pushrelay.work (id),
                kind text NOT NULL,
                payload bytea NOT NULL,
                key text,
                -- A keyed item queued once: queuing it again does nothing.
                key_once boolean NOT NULL DEFAULT false,
                -- A newer item of the group supersedes the older unfinished ones.
                work_group text,
                -- Set on a running item a newer one of its group superseded: it ends superseded unless it succeeds.
                superseded_at timestamptz,
                -- A keyed item queued again while it runs: its payload once the attempt ends.
                next_payload bytea,
                state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                queued_at timestamptz NOT NULL,
                next_attempt_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                last_error text,
                result text,
                -- Its result is its alone among the kind's items (a Terrakube job id).
                result_unique boolean NOT NULL DEFAULT false,
                attempt_started_at timestamptz,
                uncertain boolean NOT NULL DEFAULT false,
                uncertain_since timestamptz,
                owner text,
                lease_until timestamptz,
                fence bigint NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE pushrelay.work_attempts (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                work bigint NOT NULL REFERENCES pushrelay.work (id),
                started_at timestamptz,
                finished_at timestamptz NOT NULL,
                outcome text NOT NULL,
                status integer,
                detail text
            )
            """,
            "CREATE INDEX work_attempts_work ON pushrelay.work_attempts (work)",
            "CREATE UNIQUE INDEX work_result ON pushrelay.work (kind, result) WHERE result IS NOT NULL AND result_unique",
            "CREATE UNIQUE INDEX work_key ON pushrelay.work (kind, key) WHERE key IS NOT NULL",
            "CREATE INDEX work_group ON pushrelay.work (kind, work_group) WHERE work_group IS NOT NULL",
            // Small and hot: only the rows a claim or a rescue looks at. A claim scans it once per kind, in
            // due order, and stops at its limit.
            "CREATE INDEX work_due ON pushrelay.work (kind, next_attempt_at, id) WHERE state = 'pending'",
            "CREATE INDEX work_lease ON pushrelay.work (lease_until) WHERE state = 'running'",
            "CREATE INDEX work_owner ON pushrelay.work (owner) WHERE state = 'running'",
            "CREATE INDEX work_delivery ON pushrelay.work (delivery)",
            "CREATE TABLE pushrelay.store_health (id integer PRIMARY KEY, checked_at timestamptz NOT NULL)",
            "INSERT INTO pushrelay.store_health (id, checked_at) VALUES (1, now())",
        ],
        // 5: the head of each ref, from webhooks and polls (missed-push recovery, SPEC section 12); '' is a
        // deleted ref. A repository is in `head_baselines` once its first round has been taken.
        [
            """
            CREATE TABLE pushrelay.ref_heads (
                repository text NOT NULL,
                ref text NOT NULL,
                head text NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (repository, ref)
            )
            """,
            "CREATE TABLE pushrelay.head_baselines (repository text PRIMARY KEY, taken_at timestamptz NOT NULL)",
            // Work no delivery brought (recovery's rounds) has none.
            "ALTER TABLE pushrelay.work ALTER COLUMN delivery DROP NOT NULL",
        ],
        // 6: each pull request's plan comment (SPEC section 13), as JSON, written by compare-and-set on
        // `version`.
        [
            """
            CREATE TABLE pushrelay.plan_comments (
                repository text NOT NULL,
                number integer NOT NULL,
                version integer NOT NULL,
                comment text NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (repository, number)
            )
            """
        ],
        // 7: plan comments become one kind of compare-and-set document among others (a commit's summary
        // status), kept in one table whose rows retention removes once not written for its period.
        [
            """
            CREATE TABLE pushrelay.documents (
                scope text NOT NULL,
                name text NOT NULL,
                version integer NOT NULL,
                body text NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (scope, name)
            )
            """,
            "CREATE INDEX documents_updated ON pushrelay.documents (updated_at)",
            """
            INSERT INTO pushrelay.documents (scope, name, version, body, updated_at)
            SELECT 'plan-comment', repository || '#' || number::text, version, comment, updated_at
            FROM pushrelay.plan_comments
            """,
            "DROP TABLE pushrelay.plan_comments",
        ],
    ]

    /// The schema version this binary writes.
    static var latest: Int { self.firstVersion - 1 + self.steps.count }

    /// Brings the schema to the latest version; a failure leaves it untouched.
    /// - Returns: the steps this call applied (none when another replica had).
    /// - Throws: ``StoreSchemaMismatch`` when a newer PushRelay migrated the database.
    @discardableResult
    static func run(on client: PostgresClient, logger: Logger) async throws -> Int {
        do {
            return try await self.apply(on: client, logger: logger)
        } catch {
            throw PostgresFailure.wrapping(error)
        }
    }

    private static func apply(on client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            // Waits for a replica migrating at this moment, however long its steps take.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger).consume()
            try await connection.query("CREATE SCHEMA IF NOT EXISTS pushrelay", logger: logger).consume()
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS pushrelay.schema_version (
                    version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """,
                logger: logger
            ).consume()
            let current = try await self.version(connection, logger: logger)
            // Empty, or this schema at an earlier step: anything else is another build's.
            guard current == 0 || (self.firstVersion...self.latest).contains(current) else {
                throw StoreSchemaMismatch(found: current, expected: self.latest)
            }
            let first = current == 0 ? self.firstVersion : current + 1
            guard first <= self.latest else { return 0 }
            for version in first...self.latest {
                for statement in self.steps[version - self.firstVersion] {
                    try await connection.query(statement, logger: logger).consume()
                }
                try await connection.query(
                    "INSERT INTO pushrelay.schema_version (version) VALUES (\(version))",
                    logger: logger
                ).consume()
            }
            return self.latest - first + 1
        }
    }

    /// The version a database holds, for readers that may not migrate; 0 when it has no schema yet.
    static func version(on client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withConnection { connection in
            let rows = try await connection.query(
                "SELECT to_regclass('pushrelay.schema_version') IS NOT NULL",
                logger: logger
            ).collect()
            let exists = try rows.first?.decode(Bool.self) ?? false
            return exists ? try await self.version(connection, logger: logger) : 0
        }
    }

    private static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT COALESCE(MAX(version), 0)::integer FROM pushrelay.schema_version",
            logger: logger
        ).collect()
        return Int(try rows.first?.decode(Int32.self) ?? 0)
    }

    /// The advisory lock's key: any constant of our own, the same in every replica.
    private static let lockKey: Int64 = 0x7075_7368_7265_6c61  // "pushrela"
}

extension PostgresRowSequence {
    /// Reads and drops every row, for statements run for their effect.
    func consume() async throws {
        for try await _ in self {}
    }
}
