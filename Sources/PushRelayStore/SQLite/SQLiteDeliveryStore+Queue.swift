import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO
import Synchronization

/// The work queue on SQLite: claims with an owner, a lease and a fencing token, on the process's clock
/// (the only clock a SQLite store has).
extension SQLiteDeliveryStore {
    package func claim(owner: String, kinds: [WorkKind], limit: Int, lease: Duration) async throws -> [ClaimedWork] {
        guard !kinds.isEmpty else { return [] }
        if self.holdsServeLock { self.liveOwners.withLock { _ = $0.insert(owner) } }
        let now = Date().timeIntervalSince1970
        // One branch per kind, each a scan of the index in due order that stops at the limit.
        let branches = kinds.indices.map { index in
            """
            SELECT * FROM (SELECT id, next_attempt_at FROM work
                           WHERE state = 'pending' AND kind = ?\(index + 5) AND next_attempt_at <= ?1
                           ORDER BY next_attempt_at, id LIMIT ?2)
            """
        }
        // One statement, whatever the limit: each statement is a hop to SQLite's thread, and a single one
        // needs no transaction of its own. The delivery's provider and id come from subqueries, which
        // RETURNING allows where it does not allow a join.
        let rows = try await self.batcher.perform(singleStatement: true) { connection in
            try await connection.query(
                """
                UPDATE work SET state = 'running', attempts = attempts + 1, attempt_started_at = ?1, updated_at = ?1,
                                owner = ?3, lease_until = ?1 + ?4, fence = fence + 1
                WHERE id IN (SELECT id FROM (\(branches.joined(separator: " UNION ALL ")))
                             ORDER BY next_attempt_at, id LIMIT ?2)
                RETURNING \(SQLiteRows.claimColumns), next_attempt_at,
                          attempts - 1 AS attempts  -- the attempts made before this claim, as the dispatcher counts
                """,
                [.float(now), .integer(limit), .text(owner), .float(lease.seconds)] + kinds.map { .text($0.rawValue) }
            )
        }
        // RETURNING gives no order; the dispatcher starts the longest-due first.
        let due = rows.sorted {
            let (left, right) = ($0.column("next_attempt_at")?.double ?? 0, $1.column("next_attempt_at")?.double ?? 0)
            return left != right ? left < right : ($0.column("id")?.integer ?? 0) < ($1.column("id")?.integer ?? 0)
        }
        return try due.map(SQLiteRows.claimedWork(from:))
    }

    package func finish(_ work: ClaimedWork, outcome: WorkOutcome) async throws -> Bool {
        let change = WorkTransition(outcome)
        let now = Date().timeIntervalSince1970
        let uncertain: SQLiteData = change.uncertain.map { .integer($0 ? 1 : 0) } ?? .null
        return try await self.batcher.perform { connection in
            // Taken only while the claim holds (no row otherwise). A keyed item queued again while it ran
            // takes its new payload, due at once (``WorkQueue``). Right-hand sides read the row as it was.
            // The move, the attempt's history row and the follow-ups: all or nothing, in the batcher's
            // savepoint.
            let moved = try await connection.query(
                """
                UPDATE work
                SET state = CASE WHEN next_payload IS NOT NULL THEN 'pending'
                                 WHEN superseded_at IS NOT NULL AND ?3 <> 'done' THEN 'superseded' ELSE ?3 END,
                    result = COALESCE(?4, result),
                    last_error = CASE WHEN next_payload IS NOT NULL THEN NULL ELSE ?5 END,
                    next_attempt_at = CASE WHEN next_payload IS NOT NULL THEN ?7
                                           WHEN ?6 IS NULL THEN next_attempt_at ELSE ?7 + ?6 END,
                    uncertain_since = CASE WHEN ?8 = 1 THEN COALESCE(uncertain_since, attempt_started_at)
                                           ELSE uncertain_since END,
                    uncertain = CASE WHEN next_payload IS NOT NULL THEN 0 ELSE COALESCE(?8, uncertain) END,
                    payload = COALESCE(next_payload, ?9, payload), next_payload = NULL,
                    attempts = CASE WHEN next_payload IS NOT NULL THEN 0 ELSE attempts - ?10 END,
                    owner = NULL, lease_until = NULL, updated_at = ?7
                WHERE id = ?1 AND fence = ?2 AND state = 'running'
                RETURNING delivery, attempt_started_at
                """,
                [
                    .integer(Int(work.id)), .integer(Int(work.fence)), .text(change.state.rawValue),
                    change.result.map(SQLiteData.text) ?? .null, change.lastError.map(SQLiteData.text) ?? .null,
                    change.retryAfter.map { .float($0.seconds) } ?? .null, .float(now), uncertain,
                    change.payload.map { .blob(ByteBuffer(bytes: $0)) } ?? .null,
                    .integer(change.recordsAttempt ? 0 : 1),
                ]
            )
            guard let row = moved.first else { return false }
            let delivery = row.column("delivery")?.integer.map(Int64.init)
            if change.recordsAttempt {
                _ = try await connection.query(
                    """
                    INSERT INTO work_attempts (work, started_at, finished_at, outcome, status, detail)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    """,
                    [
                        .integer(Int(work.id)),
                        row.column("attempt_started_at").flatMap(\.double).map(SQLiteData.float) ?? .null,
                        .float(now), .text(change.outcome), change.status.map { .integer($0) } ?? .null,
                        change.detail.map(SQLiteData.text) ?? .null,
                    ]
                )
            }
            try await Self.insertWork(
                change.next.map { QueuedWork(delivery: delivery, parent: work.id, at: now, work: $0) },
                connection
            )
            return true
        }
    }

    package func renewLeases(owner: String, lease: Duration) async throws -> Int {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            try await connection.query(
                "UPDATE work SET lease_until = ?1 + ?2 WHERE owner = ?3 AND state = 'running' RETURNING id",
                [.float(now), .float(lease.seconds), .text(owner)]
            ).count
        }
    }

    package func enqueue(_ work: [NewWork]) async throws {
        let now = Date().timeIntervalSince1970
        try await self.batcher.perform { connection in
            try await Self.insertWork(
                work.map { QueuedWork(delivery: nil, parent: nil, at: now, work: $0) },
                connection
            )
        }
    }

    package func hasten(kind: WorkKind, key: String) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            try await connection.query(
                """
                UPDATE work SET next_attempt_at = MIN(next_attempt_at, ?1)
                WHERE kind = ?2 AND key = ?3 AND state IN ('pending', 'running') RETURNING id
                """,
                [.float(now), .text(kind.rawValue), .text(key)]
            ).count > 0
        }
    }

    package func release(_ work: [ClaimedWork]) async throws {
        guard !work.isEmpty else { return }
        try await self.batcher.perform { connection in
            for item in work {
                _ = try await connection.query(
                    """
                    UPDATE work SET state = CASE WHEN superseded_at IS NULL THEN 'pending' ELSE 'superseded' END,
                                    attempts = attempts - 1, owner = NULL, lease_until = NULL,
                                    payload = COALESCE(next_payload, payload), next_payload = NULL
                    WHERE id = ? AND fence = ? AND state = 'running'
                    """,
                    [.integer(Int(item.id)), .integer(Int(item.fence))]
                )
            }
        }
    }

    package func rescueExpiredLeases() async throws -> Int {
        let now = Date().timeIntervalSince1970
        let change = WorkTransition.leaseExpired
        // Expired, or left by an older version (no lease); with the serve lock held, also every lease this
        // process did not hand out: their owner has died.
        var condition = "state = 'running' AND (lease_until IS NULL OR lease_until < ?1"
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
                INSERT INTO work_attempts (work, started_at, finished_at, outcome, status, detail)
                SELECT id, attempt_started_at, ?1, ?2, NULL, ?3 FROM work WHERE \(sql)
                RETURNING id
                """,
                values
            )
            guard !rescued.isEmpty else { return 0 }
            _ = try await connection.query(
                """
                UPDATE work SET state = CASE WHEN superseded_at IS NULL THEN 'pending' ELSE 'superseded' END,
                                next_attempt_at = ?1, updated_at = ?1, last_error = ?3, uncertain = 1, uncertain_since = COALESCE(uncertain_since, attempt_started_at),
                                owner = NULL, lease_until = NULL,
                                payload = COALESCE(next_payload, payload), next_payload = NULL
                WHERE \(sql)
                """,
                values
            )
            return rescued.count
        }
    }

    package func recordedResults(of kind: WorkKind, among results: [String]) async throws -> Set<String> {
        guard !results.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: results.count).joined(separator: ", ")
        let rows = try await self.reader.connection.query(
            "SELECT result FROM work WHERE kind = ? AND result IN (\(placeholders))",
            [.text(kind.rawValue)] + results.map(SQLiteData.text)
        )
        return Set(rows.compactMap { $0.column("result")?.string })
    }

    package func requeueWork(provider: ProviderKind, deliveryID: String) async throws -> Int {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            // One fresh item per distinct kind and payload of what the delivery itself queued. Keyed items
            // are not copied, there is one of each; but an item queued once is, without its key: asked
            // for on purpose, a plan runs again.
            try await connection.query(
                """
                INSERT INTO work (delivery, kind, payload, result_unique, state, attempts, queued_at, next_attempt_at,
                                  updated_at)
                SELECT w.delivery, w.kind, w.payload, w.result_unique, 'pending', 0, ?1, ?1, ?1
                FROM work w JOIN deliveries d ON d.id = w.delivery
                WHERE d.provider = ?2 AND d.delivery_id = ?3 AND w.parent IS NULL AND (w.key IS NULL OR w.key_once = 1)
                  AND w.id IN (SELECT MIN(id) FROM work WHERE parent IS NULL GROUP BY delivery, kind, payload)
                RETURNING id
                """,
                [.float(now), .text(provider.rawValue), .text(deliveryID)]
            ).count
        }
    }
}
