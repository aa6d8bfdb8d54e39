import SQLiteNIO

/// Schema versions, applied in order at open. Append new steps; never edit a released one.
enum SQLiteMigrations {
    static let steps: [[String]] = [
        [
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
            """
            CREATE TABLE jobs (
                id INTEGER PRIMARY KEY,
                delivery INTEGER NOT NULL REFERENCES deliveries (id),
                organization TEXT NOT NULL,
                workspace TEXT NOT NULL,
                template TEXT NOT NULL,
                override_branch TEXT NOT NULL,
                commit_id TEXT NOT NULL,
                via TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                queued_at REAL NOT NULL,
                next_attempt_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                last_error TEXT,
                terrakube_job_id TEXT,
                attempt_started_at REAL,
                look_first INTEGER NOT NULL DEFAULT 0,
                uncertain_since REAL,
                last_outcome TEXT,
                last_status INTEGER,
                last_detail TEXT
            )
            """,
            """
            CREATE TABLE job_attempts (
                id INTEGER PRIMARY KEY,
                job INTEGER NOT NULL REFERENCES jobs (id),
                started_at REAL,
                finished_at REAL NOT NULL,
                outcome TEXT NOT NULL,
                status INTEGER,
                detail TEXT
            )
            """,
            "CREATE INDEX job_attempts_job ON job_attempts (job)",
            // Every write of an attempt's outcome appends it to the history, inside the same statement, so
            // that recording an attempt is one statement (one hop to SQLite's thread), atomic by itself.
            """
            CREATE TRIGGER jobs_attempt_history AFTER UPDATE OF last_outcome ON jobs
            WHEN NEW.last_outcome IS NOT NULL
            BEGIN
                INSERT INTO job_attempts (job, started_at, finished_at, outcome, status, detail)
                VALUES (NEW.id, NEW.attempt_started_at, NEW.updated_at, NEW.last_outcome, NEW.last_status,
                        NEW.last_detail);
            END
            """,
            "CREATE INDEX jobs_terrakube_id ON jobs (terrakube_job_id)",
            "CREATE INDEX deliveries_received ON deliveries (received_at)",
            "CREATE INDEX jobs_due ON jobs (state, next_attempt_at)",
            "CREATE INDEX jobs_delivery ON jobs (delivery)",
            "CREATE TABLE store_health (id INTEGER PRIMARY KEY, checked_at REAL NOT NULL)",
            "INSERT INTO store_health (id, checked_at) VALUES (1, 0)",
        ],
        [
            // The jobs a delivery was routed to, as `[[organization, workspace, template, override_branch,
            // commit_id, via], …]`, expanded into `jobs` by the trigger below: a batch of deliveries and
            // all their jobs is then one statement, which SQLite commits by itself (one hop to its thread
            // per batch instead of four: BEGIN, deliveries, jobs, COMMIT).
            "ALTER TABLE deliveries ADD COLUMN planned_jobs TEXT",
            """
            CREATE TRIGGER deliveries_planned_jobs AFTER INSERT ON deliveries
            WHEN NEW.planned_jobs IS NOT NULL
            BEGIN
                INSERT INTO jobs (delivery, organization, workspace, template, override_branch, commit_id, via,
                                  state, attempts, queued_at, next_attempt_at, updated_at)
                SELECT NEW.id, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
                       'pending', 0, NEW.received_at, NEW.received_at, NEW.received_at
                FROM json_each(NEW.planned_jobs)
                ORDER BY key;
            END
            """,
        ],
        [
            // Business rules leave the schema: jobs and the attempt history are written by the store's own
            // statements (rules in `JobTransition`), and claims carry an owner, a lease and a fencing token.
            "DROP TRIGGER IF EXISTS jobs_attempt_history",
            "DROP TRIGGER IF EXISTS deliveries_planned_jobs",
            "ALTER TABLE deliveries DROP COLUMN planned_jobs",
            "ALTER TABLE jobs DROP COLUMN last_outcome",
            "ALTER TABLE jobs DROP COLUMN last_status",
            "ALTER TABLE jobs DROP COLUMN last_detail",
            "ALTER TABLE jobs ADD COLUMN owner TEXT",
            "ALTER TABLE jobs ADD COLUMN lease_until REAL",
            "ALTER TABLE jobs ADD COLUMN fence INTEGER NOT NULL DEFAULT 0",
            // A Terrakube job is recorded for at most one PushRelay job, whichever process adopts it.
            "DROP INDEX jobs_terrakube_id",
            "CREATE UNIQUE INDEX jobs_terrakube_id ON jobs (terrakube_job_id) WHERE terrakube_job_id IS NOT NULL",
            "CREATE INDEX jobs_lease ON jobs (state, lease_until)",
        ],
        [
            // The queue carries work of any kind: a kind, and a payload only the kind's handler reads.
            // Terrakube jobs become items of kind `terrakube.create-job`, their fields the payload's.
            """
            CREATE TABLE work (
                id INTEGER PRIMARY KEY,
                delivery INTEGER NOT NULL REFERENCES deliveries (id),
                parent INTEGER REFERENCES work (id),
                kind TEXT NOT NULL,
                payload BLOB NOT NULL,
                key TEXT,
                -- A keyed item queued again while it runs: its payload once the attempt ends.
                next_payload BLOB,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                queued_at REAL NOT NULL,
                next_attempt_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                last_error TEXT,
                result TEXT,
                attempt_started_at REAL,
                uncertain INTEGER NOT NULL DEFAULT 0,
                uncertain_since REAL,
                owner TEXT,
                lease_until REAL,
                fence INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            INSERT INTO work (id, delivery, kind, payload, state, attempts, queued_at, next_attempt_at, updated_at,
                              last_error, result, attempt_started_at, uncertain, uncertain_since, owner, lease_until,
                              fence)
            SELECT id, delivery, 'terrakube.create-job',
                   CAST(json_object('commitID', commit_id, 'organization', organization,
                                    'overrideBranch', override_branch, 'template', template, 'via', via,
                                    'workspace', workspace) AS BLOB),
                   CASE state WHEN 'sending' THEN 'running' WHEN 'created' THEN 'done' ELSE state END,
                   attempts, queued_at, next_attempt_at, updated_at, last_error, terrakube_job_id,
                   attempt_started_at, look_first, uncertain_since, owner, lease_until, fence
            FROM jobs
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
            """
            INSERT INTO work_attempts (id, work, started_at, finished_at, outcome, status, detail)
            SELECT id, job, started_at, finished_at, outcome, status, detail FROM job_attempts
            """,
            "DROP TABLE job_attempts",
            "DROP TABLE jobs",
            "CREATE INDEX work_attempts_work ON work_attempts (work)",
            // A claim scans it once per kind, in due order, and stops at its limit.
            "CREATE INDEX work_due ON work (state, kind, next_attempt_at)",
            "CREATE INDEX work_lease ON work (state, lease_until)",
            "CREATE INDEX work_delivery ON work (delivery)",
            // A result (a Terrakube job id) is recorded for at most one item of a kind, whoever adopts it.
            "CREATE UNIQUE INDEX work_result ON work (kind, result) WHERE result IS NOT NULL",
            "CREATE UNIQUE INDEX work_key ON work (kind, key) WHERE key IS NOT NULL",
        ],
        [
            // A keyed item queued once (a pull request's plan per head commit), and the group whose older
            // unfinished items a newer one supersedes; a running item superseded mid-attempt is marked, and
            // ends `superseded` unless its attempt succeeds.
            "ALTER TABLE work ADD COLUMN key_once INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE work ADD COLUMN work_group TEXT",
            "ALTER TABLE work ADD COLUMN superseded_at REAL",
            "CREATE INDEX work_group ON work (kind, work_group) WHERE work_group IS NOT NULL",
        ],
    ]

    /// The schema version this binary writes.
    static var latest: Int { self.steps.count }

    /// Brings the schema to the latest version inside one transaction; a failure leaves it untouched.
    /// - Throws: ``StoreSchemaMismatch`` when the file was written by a newer PushRelay.
    static func run(on connection: SQLiteConnection) async throws {
        let current = try await self.version(of: connection)
        guard current <= self.latest else { throw StoreSchemaMismatch(found: current, expected: self.latest) }
        guard current < self.latest else { return }
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            for version in current..<self.latest {
                for statement in self.steps[version] { _ = try await connection.query(statement) }
            }
            _ = try await connection.query("PRAGMA user_version = \(self.latest)")
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
