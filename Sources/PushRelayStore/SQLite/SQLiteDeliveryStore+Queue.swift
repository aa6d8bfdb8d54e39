import Foundation
import PushRelayCore
import SQLiteNIO
import Synchronization

/// The work queue on SQLite: claims with an owner, a lease and a fencing token, on the process's clock
/// (the only clock a SQLite store has).
extension SQLiteDeliveryStore {
    package func claim(owner: String, limit: Int, lease: Duration) async throws -> [ClaimedJob] {
        if self.holdsServeLock { self.liveOwners.withLock { _ = $0.insert(owner) } }
        let now = Date().timeIntervalSince1970
        // One statement, whatever the limit: each statement is a hop to SQLite's thread, and a single one
        // needs no transaction of its own. The delivery's provider and id come from subqueries, which
        // RETURNING allows where it does not allow a join.
        let rows = try await self.batcher.perform(singleStatement: true) { connection in
            try await connection.query(
                """
                UPDATE jobs SET state = 'sending', attempts = attempts + 1, attempt_started_at = ?1, updated_at = ?1,
                                owner = ?3, lease_until = ?1 + ?4, fence = fence + 1
                WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND next_attempt_at <= ?1
                             ORDER BY next_attempt_at, id LIMIT ?2)
                RETURNING id, fence, \(JobColumns.names()), queued_at, look_first, uncertain_since, next_attempt_at,
                          attempts - 1 AS attempts,  -- the attempts made before this claim, as the dispatcher counts
                          (SELECT provider FROM deliveries WHERE deliveries.id = jobs.delivery) AS provider,
                          (SELECT delivery_id FROM deliveries WHERE deliveries.id = jobs.delivery) AS delivery_id
                """,
                [.float(now), .integer(limit), .text(owner), .float(lease.seconds)]
            )
        }
        // RETURNING gives no order; the dispatcher starts the longest-due first.
        let due = rows.sorted {
            let (left, right) = ($0.column("next_attempt_at")?.double ?? 0, $1.column("next_attempt_at")?.double ?? 0)
            return left != right ? left < right : ($0.column("id")?.integer ?? 0) < ($1.column("id")?.integer ?? 0)
        }
        return try due.map(SQLiteRows.claimedJob(from:))
    }

    package func finish(_ job: ClaimedJob, outcome: AttemptOutcome) async throws -> Bool {
        let change = JobTransition(outcome)
        let now = Date().timeIntervalSince1970
        let lookFirst: SQLiteData = change.lookFirst.map { .integer($0 ? 1 : 0) } ?? .null
        return try await self.batcher.perform { connection in
            // The history row first, taken only while the claim holds; the job's row then moves on under the
            // same condition. Both or neither: the batcher runs them in one savepoint.
            let history = try await connection.query(
                """
                INSERT INTO job_attempts (job, started_at, finished_at, outcome, status, detail)
                SELECT id, attempt_started_at, ?3, ?4, ?5, ?6 FROM jobs
                WHERE id = ?1 AND fence = ?2 AND state = 'sending'
                RETURNING id
                """,
                [
                    .integer(Int(job.id)), .integer(Int(job.fence)), .float(now), .text(change.outcome),
                    change.status.map { .integer($0) } ?? .null, change.detail.map(SQLiteData.text) ?? .null,
                ]
            )
            guard !history.isEmpty else { return false }
            _ = try await connection.query(
                """
                UPDATE jobs SET state = ?3, terrakube_job_id = COALESCE(?4, terrakube_job_id), last_error = ?5,
                                next_attempt_at = CASE WHEN ?6 IS NULL THEN next_attempt_at ELSE ?7 + ?6 END,
                                uncertain_since = CASE WHEN ?8 = 1 THEN COALESCE(uncertain_since, attempt_started_at)
                                                       ELSE uncertain_since END,
                                look_first = COALESCE(?8, look_first),
                                owner = NULL, lease_until = NULL, updated_at = ?7
                WHERE id = ?1 AND fence = ?2
                """,
                [
                    .integer(Int(job.id)), .integer(Int(job.fence)), .text(change.state.rawValue),
                    change.terrakubeJobID.map(SQLiteData.text) ?? .null,
                    change.lastError.map(SQLiteData.text) ?? .null,
                    change.retryAfter.map { .float($0.seconds) } ?? .null, .float(now), lookFirst,
                ]
            )
            return true
        }
    }

    package func renewLeases(owner: String, lease: Duration) async throws -> Int {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            try await connection.query(
                "UPDATE jobs SET lease_until = ?1 + ?2 WHERE owner = ?3 AND state = 'sending' RETURNING id",
                [.float(now), .float(lease.seconds), .text(owner)]
            ).count
        }
    }

    package func release(_ jobs: [ClaimedJob]) async throws {
        guard !jobs.isEmpty else { return }
        try await self.batcher.perform { connection in
            for job in jobs {
                _ = try await connection.query(
                    """
                    UPDATE jobs SET state = 'pending', attempts = attempts - 1, owner = NULL, lease_until = NULL
                    WHERE id = ? AND fence = ? AND state = 'sending'
                    """,
                    [.integer(Int(job.id)), .integer(Int(job.fence))]
                )
            }
        }
    }

    package func rescueExpiredLeases() async throws -> Int {
        let now = Date().timeIntervalSince1970
        let change = JobTransition.leaseExpired
        // Expired, or left by an older version (no lease); with the serve lock held, also every lease this
        // process did not hand out: their owner has died.
        var condition = "state = 'sending' AND (lease_until IS NULL OR lease_until < ?1"
        var binds: [SQLiteData] = [.float(now), .text(change.outcome), .text(change.lastError ?? "")]
        if self.holdsServeLock {
            let owners = self.liveOwners.withLock { Array($0) }
            if owners.isEmpty {
                condition += " OR 1"  // nothing claimed yet by this process: every claim is a dead one's
            } else {
                condition += " OR owner NOT IN (" + owners.map { _ in "?" }.joined(separator: ", ") + ")"
                binds += owners.map(SQLiteData.text)
            }
        }
        condition += ")"
        let (sql, values) = (condition, binds)
        return try await self.batcher.perform { connection in
            let rescued = try await connection.query(
                """
                INSERT INTO job_attempts (job, started_at, finished_at, outcome, status, detail)
                SELECT id, attempt_started_at, ?1, ?2, NULL, ?3 FROM jobs WHERE \(sql)
                RETURNING id
                """,
                values
            )
            guard !rescued.isEmpty else { return 0 }
            _ = try await connection.query(
                """
                UPDATE jobs SET state = 'pending', next_attempt_at = ?1, updated_at = ?1, last_error = ?3,
                                look_first = 1, uncertain_since = COALESCE(uncertain_since, attempt_started_at),
                                owner = NULL, lease_until = NULL
                WHERE \(sql)
                """,
                values
            )
            return rescued.count
        }
    }

    package func recordedTerrakubeJobIDs(among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try await self.reader.connection.query(
            "SELECT terrakube_job_id FROM jobs WHERE terrakube_job_id IN (\(placeholders))",
            ids.map(SQLiteData.text)
        )
        return Set(rows.compactMap { $0.column("terrakube_job_id")?.string })
    }

    package func requeueJobs(provider: ProviderKind, deliveryID: String) async throws -> Int {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            // One fresh job per distinct workspace and template of the delivery's first jobs.
            try await connection.query(
                """
                INSERT INTO jobs (delivery, \(JobColumns.names()), state, attempts, queued_at, next_attempt_at,
                                  updated_at)
                SELECT j.delivery, \(JobColumns.names(prefix: "j.")), 'pending', 0, ?1, ?1, ?1
                FROM jobs j JOIN deliveries d ON d.id = j.delivery
                WHERE d.provider = ?2 AND d.delivery_id = ?3
                  AND j.id IN (SELECT MIN(id) FROM jobs GROUP BY delivery, workspace, template)
                RETURNING id
                """,
                [.float(now), .text(provider.rawValue), .text(deliveryID)]
            ).count
        }
    }
}
