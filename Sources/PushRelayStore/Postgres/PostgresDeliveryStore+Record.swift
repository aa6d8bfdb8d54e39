import Foundation
import Logging
import NIOCore
import PostgresNIO
import PushRelayCore

/// Deliveries that arrive together are written with one statement (``GroupCommit``): one round trip and
/// one commit (one WAL flush) for all of them, where one per delivery cost the server more than the
/// webhook itself.
extension PostgresDeliveryStore {
    /// Most deliveries in one statement, to bound the wait of the first of them.
    static let maxGroup = 64
    /// Statements of deliveries in flight at once: one fills while the other commits.
    static let groupsInFlight = 2

    /// Writes deliveries, their work, the heads they move and the wake-up in one statement: all of them
    /// commit or none does. A delivery whose provider and id are already stored, or appear earlier in the
    /// group, is a duplicate: neither it, its work nor its heads are written. A lost connection is an error
    /// here, whether or not the commit happened; each webhook then gets 503, and the host's retry finds its
    /// delivery if it did.
    ///
    /// A group that moves heads is one transaction: its heads are locked and read first (in key order, so
    /// that replicas cannot deadlock), each delivery is settled against them in order, then written.
    /// - Parameter notify: asked only when the group queues work: whether to wake the other replicas.
    static func insert(
        _ writes: [DeliveryWrite],
        client: PostgresClient,
        logger: Logger,
        notify: @escaping @Sendable () -> Bool
    ) async throws -> [RecordResult] {
        var firsts: [DeliveryPlan] = []
        var seen: Set<[String]> = []
        for write in writes
        where seen.insert([write.plan.record.provider.rawValue, write.plan.record.deliveryID]).inserted {
            firsts.append(write.plan)
        }
        let plans = firsts
        let keys = Set(plans.flatMap(\.headKeys))
        guard !keys.isEmpty else {
            let ids = try await Self.rows(
                Self.statement(firsts, heads: [], notify: notify),
                client: client,
                logger: logger
            )
            return try Self.results(writes, firsts: firsts, rows: ids)
        }
        return try await Self.withDeadline(Self.operationTimeout) {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    var current = try await Self.lockHeads(keys, connection, logger: logger)
                    var settled: [DeliveryPlan] = []
                    var moved: [[HeadKey: String]] = []
                    for plan in plans {
                        let (plan, heads) = plan.settled(remembered: current)
                        current.merge(heads) { $1 }
                        settled.append(plan)
                        moved.append(heads)
                    }
                    let rows = try await connection.query(
                        Self.statement(settled, heads: moved, notify: notify),
                        logger: logger
                    ).collect()
                    return try Self.results(writes, firsts: settled, rows: rows)
                }
            } catch {
                throw PostgresFailure.wrapping(error)
            }
        }
    }

    /// Locks the heads of `keys` and reads their latest committed values. A key with no head yet gets a
    /// placeholder row (``placeholder``), so that a replica recording the same new ref waits for this one.
    private static func lockHeads(
        _ keys: Set<HeadKey>,
        _ connection: PostgresConnection,
        logger: Logger
    ) async throws -> [HeadKey: String] {
        let sorted = keys.sorted()
        // ON CONFLICT DO UPDATE locks the row and reads its latest version, not the statement's snapshot.
        let rows = try await connection.query(
            """
            INSERT INTO pushrelay.ref_heads AS h (repository, ref, head, updated_at)
            SELECT r, f, \(Self.placeholder), now() FROM unnest(\(sorted.map(\.repository)), \(sorted.map(\.ref))) AS k(r, f)
            ORDER BY r, f
            ON CONFLICT (repository, ref) DO UPDATE SET head = h.head
            RETURNING h.repository, h.ref, h.head
            """,
            logger: logger
        ).collect()
        var heads: [HeadKey: String] = [:]
        for row in rows {
            let (repository, ref, head) = try row.decode((String, String, String).self)
            if head != Self.placeholder { heads[HeadKey(repository: repository, ref: ref)] = head }
        }
        return heads
    }

    /// The head of a row locked for a ref no head was remembered for: read as none.
    static let placeholder = "?"

    /// Which writes were recorded, by the ids the statement returned; the first write of a key owns it.
    private static func results(
        _ writes: [DeliveryWrite],
        firsts: [DeliveryPlan],
        rows: [PostgresRow]
    ) throws -> [RecordResult] {
        var ids: [[String]: Int64] = [:]
        for row in rows {
            let (id, provider, deliveryID, _) = try row.decode((Int64, String, String, Int64).self)
            ids[[provider, deliveryID]] = id
        }
        var plans: [[String]: DeliveryPlan] = [:]
        for plan in firsts { plans[[plan.record.provider.rawValue, plan.record.deliveryID]] = plan }
        return writes.map { write in
            let key = [write.plan.record.provider.rawValue, write.plan.record.deliveryID]
            guard let id = ids.removeValue(forKey: key), let plan = plans[key] else { return .duplicate }
            return .recorded(id, plan)
        }
    }

    /// The statement that writes `plans` (the first of each key), their work, and `heads` (each plan's
    /// moves, by position; written only for a plan that is recorded).
    private static func statement(
        _ plans: [DeliveryPlan],
        heads: [[HeadKey: String]],
        notify: () -> Bool
    ) -> PostgresQuery {
        let firsts = plans.map(\.record)
        let firstWork = plans.map(\.work)
        // One row per key, the last delivery's: a statement may not update a row twice.
        var last: [HeadKey: (delivery: Int64, head: String)] = [:]
        for (index, moved) in heads.enumerated() {
            for (key, head) in moved { last[key] = (Int64(index + 1), head) }
        }
        let moves = last.sorted { $0.key < $1.key }.map {
            (delivery: $0.value.delivery, key: $0.key, head: $0.value.head)
        }
        // Each item names its delivery by position in the group (`WITH ORDINALITY` counts from 1).
        let work = NewWork.coalesced(
            firstWork.enumerated().flatMap { index, work in work.map { (delivery: Int64(index + 1), work: $0) } },
            work: \.work
        )
        let wake = !work.isEmpty && notify()
        // Rows are inserted in key order, so two replicas' statements that share keys lock them in the same
        // order and cannot deadlock.
        return """
            WITH i AS (
                SELECT * FROM unnest(
                    \(firsts.map(\.provider.rawValue)), \(firsts.map(\.deliveryID)), \(firsts.map(\.event)),
                    \(firsts.map(\.receivedAt)), \(firsts.map { $0.repository ?? "" }), \(firsts.map { $0.repository != nil }),
                    \(firsts.map { $0.ref ?? "" }), \(firsts.map { $0.ref != nil }), \(firsts.map(\.decision.rawValue)),
                    \(firsts.map(\.reason)), \(firsts.map(\.signature.description)),
                    \(firsts.map { StoredHeaders.json($0.headers) }), \(firsts.map { ByteBuffer(bytes: $0.body) })
                ) WITH ORDINALITY AS i(provider, delivery_id, event, received_at, repository, has_repository, ref,
                                       has_ref, decision, reason, signature, headers, body, n)
            ), d AS (
                INSERT INTO pushrelay.deliveries (provider, delivery_id, event, received_at, repository, ref, decision,
                                                  reason, signature, headers, body)
                SELECT provider, delivery_id, event, received_at, CASE WHEN has_repository THEN repository END,
                       CASE WHEN has_ref THEN ref END, decision, reason, signature, headers, body
                FROM i ORDER BY provider, delivery_id
                ON CONFLICT (provider, delivery_id) DO NOTHING
                RETURNING id, provider, delivery_id
            ), j AS (
                INSERT INTO pushrelay.work AS t (delivery, kind, payload, key, key_once, work_group, result_unique, state,
                                                 queued_at, next_attempt_at, updated_at)
                SELECT d.id, u.kind, u.payload, NULLIF(u.key, ''), u.once, NULLIF(u.work_group, ''), u.result_unique,
                       'pending', now(), now() + make_interval(secs => u.after), now()
                FROM unnest(\(work.map(\.delivery)), \(work.map(\.work.kind.rawValue)),
                            \(work.map { ByteBuffer(bytes: $0.work.payload) }), \(work.map { $0.work.key ?? "" }),
                            \(work.map(\.work.once)), \(work.map { $0.work.group ?? "" }),
                            \(work.map(\.work.uniqueResult)), \(work.map(\.work.after.seconds)))
                        WITH ORDINALITY AS u(n, kind, payload, key, once, work_group, result_unique, after, k)
                JOIN i ON i.n = u.n
                JOIN d ON d.provider = i.provider AND d.delivery_id = i.delivery_id
                ORDER BY d.id, u.k
                \(unescaped: Self.keyedUpsert)
                RETURNING t.id, t.kind, t.work_group
            )\(unescaped: work.contains { $0.work.group != nil } ? Self.superseding(by: "j") : ""), w AS (
                SELECT pg_notify(\(Self.channel), '') WHERE \(wake) AND EXISTS (SELECT 1 FROM j)
            ), h AS (
                INSERT INTO pushrelay.ref_heads AS h (repository, ref, head, updated_at)
                SELECT m.repository, m.ref, m.head, now()
                FROM unnest(\(moves.map(\.delivery)), \(moves.map(\.key.repository)), \(moves.map(\.key.ref)),
                            \(moves.map(\.head))) AS m(n, repository, ref, head)
                JOIN i ON i.n = m.n
                JOIN d ON d.provider = i.provider AND d.delivery_id = i.delivery_id
                ON CONFLICT (repository, ref) DO UPDATE SET head = excluded.head, updated_at = excluded.updated_at
            )
            SELECT d.id, d.provider, d.delivery_id, (SELECT COUNT(*) FROM w) FROM d
            """
    }
}

/// A delivery's plan, as one write of a group.
struct DeliveryWrite: Sendable {
    var plan: DeliveryPlan
}
