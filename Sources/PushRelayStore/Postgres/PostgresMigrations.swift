import Logging
import PostgresNIO

/// The PostgreSQL schema, in versions applied in order. Append new steps; never edit a released one.
///
/// Every replica migrates at start, in one transaction under a transaction-scoped advisory lock (it cannot
/// be left behind, PgBouncer or not), reading the version again once it holds the lock: however many
/// replicas start at once on an empty database, one applies each step and the others find it done.
enum PostgresMigrations {
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
            """
            CREATE TABLE pushrelay.jobs (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery bigint NOT NULL REFERENCES pushrelay.deliveries (id),
                organization text NOT NULL,
                workspace text NOT NULL,
                template text NOT NULL,
                override_branch text NOT NULL,
                commit_id text NOT NULL,
                via text NOT NULL,
                state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                queued_at timestamptz NOT NULL,
                next_attempt_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                last_error text,
                terrakube_job_id text,
                attempt_started_at timestamptz,
                look_first boolean NOT NULL DEFAULT false,
                uncertain_since timestamptz,
                owner text,
                lease_until timestamptz,
                fence bigint NOT NULL DEFAULT 0
            )
            """,
            // A Terrakube job is recorded for at most one PushRelay job, whichever replica adopts it.
            "CREATE UNIQUE INDEX jobs_terrakube_id ON pushrelay.jobs (terrakube_job_id) WHERE terrakube_job_id IS NOT NULL",
            // Small and hot: only the rows a claim or a rescue looks at.
            "CREATE INDEX jobs_due ON pushrelay.jobs (next_attempt_at, id) WHERE state = 'pending'",
            "CREATE INDEX jobs_lease ON pushrelay.jobs (lease_until) WHERE state = 'sending'",
            "CREATE INDEX jobs_owner ON pushrelay.jobs (owner) WHERE state = 'sending'",
            "CREATE INDEX jobs_delivery ON pushrelay.jobs (delivery)",
            """
            CREATE TABLE pushrelay.job_attempts (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                job bigint NOT NULL REFERENCES pushrelay.jobs (id),
                started_at timestamptz,
                finished_at timestamptz NOT NULL,
                outcome text NOT NULL,
                status integer,
                detail text
            )
            """,
            "CREATE INDEX job_attempts_job ON pushrelay.job_attempts (job)",
            "CREATE TABLE pushrelay.store_health (id integer PRIMARY KEY, checked_at timestamptz NOT NULL)",
            "INSERT INTO pushrelay.store_health (id, checked_at) VALUES (1, now())",
        ]
    ]

    /// The schema version this binary writes.
    static var latest: Int { self.steps.count }

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
            guard current <= self.latest else { throw StoreSchemaMismatch(found: current, expected: self.latest) }
            for version in current..<self.latest {
                for statement in self.steps[version] { try await connection.query(statement, logger: logger).consume() }
                try await connection.query(
                    "INSERT INTO pushrelay.schema_version (version) VALUES (\(version + 1))",
                    logger: logger
                ).consume()
            }
            return self.latest - current
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
