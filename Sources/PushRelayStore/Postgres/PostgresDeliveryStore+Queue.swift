import Foundation
import PostgresNIO
import PushRelayCore

/// The work queue on PostgreSQL: `FOR UPDATE SKIP LOCKED` claims, fenced finishes, and leases on the
/// database's clock, each one statement.
extension PostgresDeliveryStore {
    package func claim(owner: String, limit: Int, lease: Duration) async throws -> [ClaimedJob] {
        // The CTE keeps the planner from running the LIMIT inside a loop and updating more rows than it.
        let rows = try await self.rows(
            """
            WITH c AS (
                SELECT id FROM pushrelay.jobs WHERE state = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE pushrelay.jobs j
            SET state = 'sending', attempts = j.attempts + 1, attempt_started_at = now(), updated_at = now(),
                owner = \(owner), lease_until = now() + make_interval(secs => \(lease.seconds)), fence = j.fence + 1
            FROM c WHERE j.id = c.id
            RETURNING \(unescaped: PostgresRows.jobColumns), j.next_attempt_at
            """
        )
        // RETURNING gives no order; the dispatcher starts the longest-due first.
        let due = try rows.map { (due: try $0.makeRandomAccess()["next_attempt_at"].decode(Date.self), row: $0) }
        return try due.sorted { $0.due < $1.due }.map { try PostgresRows.claimedJob(from: $0.row) }
    }

    package func finish(_ job: ClaimedJob, outcome: AttemptOutcome) async throws -> Bool {
        let change = JobTransition(outcome)
        let rows = try await self.rows(
            """
            WITH j AS (
                UPDATE pushrelay.jobs
                SET state = \(change.state.rawValue), terrakube_job_id = COALESCE(\(change.terrakubeJobID), terrakube_job_id),
                    last_error = \(change.lastError),
                    next_attempt_at = CASE WHEN \(change.retryAfter?.seconds)::float8 IS NULL THEN next_attempt_at
                                           ELSE now() + make_interval(secs => \(change.retryAfter?.seconds)) END,
                    uncertain_since = CASE WHEN \(change.lookFirst)::boolean THEN COALESCE(uncertain_since, attempt_started_at)
                                           ELSE uncertain_since END,
                    look_first = COALESCE(\(change.lookFirst)::boolean, look_first),
                    owner = NULL, lease_until = NULL, updated_at = now()
                WHERE id = \(job.id) AND fence = \(job.fence) AND state = 'sending'
                RETURNING id, attempt_started_at
            )
            INSERT INTO pushrelay.job_attempts (job, started_at, finished_at, outcome, status, detail)
            SELECT id, attempt_started_at, now(), \(change.outcome), \(change.status.map(Int32.init)), \(change.detail)
            FROM j
            RETURNING job
            """
        )
        return !rows.isEmpty
    }

    package func renewLeases(owner: String, lease: Duration) async throws -> Int {
        let rows = try await self.rows(
            """
            UPDATE pushrelay.jobs SET lease_until = now() + make_interval(secs => \(lease.seconds))
            WHERE owner = \(owner) AND state = 'sending'
            RETURNING id
            """
        )
        return rows.count
    }

    package func release(_ jobs: [ClaimedJob]) async throws {
        guard !jobs.isEmpty else { return }
        _ = try await self.rows(
            """
            UPDATE pushrelay.jobs j
            SET state = 'pending', attempts = j.attempts - 1, owner = NULL, lease_until = NULL
            FROM unnest(\(jobs.map(\.id)), \(jobs.map(\.fence))) AS r(id, fence)
            WHERE j.id = r.id AND j.fence = r.fence AND j.state = 'sending'
            """
        )
    }

    package func rescueExpiredLeases() async throws -> Int {
        let change = JobTransition.leaseExpired
        // Rows another replica is rescuing or finishing right now are skipped: they are not lost, they are
        // being handled. The UPDATE checks the lease again at write time.
        let rows = try await self.rows(
            """
            WITH r AS (
                SELECT id FROM pushrelay.jobs WHERE state = 'sending' AND lease_until < now()
                FOR UPDATE SKIP LOCKED
            ), u AS (
                UPDATE pushrelay.jobs j
                SET state = 'pending', next_attempt_at = now(), updated_at = now(), last_error = \(change.lastError),
                    look_first = true, uncertain_since = COALESCE(j.uncertain_since, j.attempt_started_at),
                    owner = NULL, lease_until = NULL
                FROM r WHERE j.id = r.id AND j.state = 'sending' AND j.lease_until < now()
                RETURNING j.id, j.attempt_started_at
            )
            INSERT INTO pushrelay.job_attempts (job, started_at, finished_at, outcome, status, detail)
            SELECT id, attempt_started_at, now(), \(change.outcome), NULL, \(change.detail) FROM u
            RETURNING job
            """
        )
        return rows.count
    }

    package func recordedTerrakubeJobIDs(among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try await self.rows(
            "SELECT terrakube_job_id FROM pushrelay.jobs WHERE terrakube_job_id = ANY(\(ids))"
        )
        return Set(try rows.map { try $0.decode(String.self) })
    }
}
