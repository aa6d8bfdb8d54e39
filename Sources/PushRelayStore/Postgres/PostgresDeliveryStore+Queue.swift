import Foundation
import NIOCore
import PostgresNIO
import PushRelayCore

/// The work queue on PostgreSQL: `FOR UPDATE SKIP LOCKED` claims, fenced finishes, and leases on the
/// database's clock, each one statement.
extension PostgresDeliveryStore {
    package func claim(owner: String, kinds: [WorkKind], limit: Int, lease: Duration) async throws -> [ClaimedWork] {
        guard !kinds.isEmpty else { return [] }
        // The CTE keeps the planner from running the LIMIT inside a loop and updating more rows than it.
        let rows = try await self.rows(
            """
            WITH c AS (
                SELECT id FROM pushrelay.work
                WHERE state = 'pending' AND kind = ANY(\(kinds.map(\.rawValue))) AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE pushrelay.work w
            SET state = 'running', attempts = w.attempts + 1, attempt_started_at = now(), updated_at = now(),
                owner = \(owner), lease_until = now() + make_interval(secs => \(lease.seconds)), fence = w.fence + 1
            FROM c WHERE w.id = c.id
            RETURNING \(unescaped: PostgresRows.workColumns), w.next_attempt_at
            """
        )
        // RETURNING gives no order; the dispatcher starts the longest-due first.
        let due = try rows.map { (due: try $0.makeRandomAccess()["next_attempt_at"].decode(Date.self), row: $0) }
        return try due.sorted { $0.due < $1.due }.map { try PostgresRows.claimedWork(from: $0.row) }
    }

    package func finish(_ work: ClaimedWork, outcome: WorkOutcome) async throws -> Bool {
        let change = WorkTransition(outcome)
        let next = change.next
        let rows = try await self.rows(
            """
            WITH w AS (
                UPDATE pushrelay.work
                SET state = \(change.state.rawValue), result = COALESCE(\(change.result), result),
                    last_error = \(change.lastError),
                    next_attempt_at = CASE WHEN \(change.retryAfter?.seconds)::float8 IS NULL THEN next_attempt_at
                                           ELSE now() + make_interval(secs => \(change.retryAfter?.seconds)) END,
                    uncertain_since = CASE WHEN \(change.uncertain)::boolean THEN COALESCE(uncertain_since, attempt_started_at)
                                           ELSE uncertain_since END,
                    uncertain = COALESCE(\(change.uncertain)::boolean, uncertain),
                    owner = NULL, lease_until = NULL, updated_at = now()
                WHERE id = \(work.id) AND fence = \(work.fence) AND state = 'running'
                RETURNING id, delivery, attempt_started_at
            ), n AS (
                INSERT INTO pushrelay.work (delivery, parent, kind, payload, state, queued_at, next_attempt_at,
                                            updated_at)
                SELECT w.delivery, w.id, u.kind, u.payload, 'pending', now(),
                       now() + make_interval(secs => u.after), now()
                FROM w, unnest(\(next.map(\.kind.rawValue)), \(next.map { ByteBuffer(bytes: $0.payload) }),
                               \(next.map(\.after.seconds))) WITH ORDINALITY AS u(kind, payload, after, k)
                ORDER BY u.k
            )
            INSERT INTO pushrelay.work_attempts (work, started_at, finished_at, outcome, status, detail)
            SELECT id, attempt_started_at, now(), \(change.outcome), \(change.status.map(Int32.init)), \(change.detail)
            FROM w
            RETURNING work
            """
        )
        return !rows.isEmpty
    }

    package func renewLeases(owner: String, lease: Duration) async throws -> Int {
        let rows = try await self.rows(
            """
            UPDATE pushrelay.work SET lease_until = now() + make_interval(secs => \(lease.seconds))
            WHERE owner = \(owner) AND state = 'running'
            RETURNING id
            """
        )
        return rows.count
    }

    package func release(_ work: [ClaimedWork]) async throws {
        guard !work.isEmpty else { return }
        _ = try await self.rows(
            """
            UPDATE pushrelay.work w
            SET state = 'pending', attempts = w.attempts - 1, owner = NULL, lease_until = NULL
            FROM unnest(\(work.map(\.id)), \(work.map(\.fence))) AS r(id, fence)
            WHERE w.id = r.id AND w.fence = r.fence AND w.state = 'running'
            """
        )
    }

    package func rescueExpiredLeases() async throws -> Int {
        let change = WorkTransition.leaseExpired
        // Rows another replica is rescuing or finishing right now are skipped: they are not lost, they are
        // being handled. The UPDATE checks the lease again at write time.
        let rows = try await self.rows(
            """
            WITH r AS (
                SELECT id FROM pushrelay.work WHERE state = 'running' AND lease_until < now()
                FOR UPDATE SKIP LOCKED
            ), u AS (
                UPDATE pushrelay.work w
                SET state = 'pending', next_attempt_at = now(), updated_at = now(), last_error = \(change.lastError),
                    uncertain = true, uncertain_since = COALESCE(w.uncertain_since, w.attempt_started_at),
                    owner = NULL, lease_until = NULL
                FROM r WHERE w.id = r.id AND w.state = 'running' AND w.lease_until < now()
                RETURNING w.id, w.attempt_started_at
            )
            INSERT INTO pushrelay.work_attempts (work, started_at, finished_at, outcome, status, detail)
            SELECT id, attempt_started_at, now(), \(change.outcome), NULL, \(change.detail) FROM u
            RETURNING work
            """
        )
        return rows.count
    }

    package func recordedResults(of kind: WorkKind, among results: [String]) async throws -> Set<String> {
        guard !results.isEmpty else { return [] }
        let rows = try await self.rows(
            "SELECT result FROM pushrelay.work WHERE kind = \(kind.rawValue) AND result = ANY(\(results))"
        )
        return Set(try rows.map { try $0.decode(String.self) })
    }
}
