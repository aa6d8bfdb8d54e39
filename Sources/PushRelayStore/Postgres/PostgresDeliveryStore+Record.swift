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

    /// Writes deliveries, their work and the wake-up in one statement: all of them commit or none does.
    /// A delivery whose provider and id are already stored, or appear earlier in the group, is a duplicate:
    /// neither it nor its work is written. A lost connection is an error here, whether or not the commit
    /// happened; each webhook then gets 503, and the host's retry finds its delivery if it did.
    /// - Parameter notify: asked only when the group queues work: whether to wake the other replicas.
    static func insert(
        _ writes: [DeliveryWrite],
        client: PostgresClient,
        logger: Logger,
        notify: () -> Bool
    ) async throws -> [RecordResult] {
        var firsts: [DeliveryRecord] = []
        var firstWork: [[NewWork]] = []
        var seen: Set<[String]> = []
        for write in writes where seen.insert([write.delivery.provider.rawValue, write.delivery.deliveryID]).inserted {
            firsts.append(write.delivery)
            firstWork.append(write.work)
        }
        // Each item names its delivery by position in the group (`WITH ORDINALITY` counts from 1).
        let work = NewWork.coalesced(
            firstWork.enumerated().flatMap { index, work in work.map { (delivery: Int64(index + 1), work: $0) } },
            work: \.work
        )
        let wake = !work.isEmpty && notify()
        // Rows are inserted in key order, so two replicas' statements that share keys lock them in the same
        // order and cannot deadlock.
        let statement: PostgresQuery = """
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
            )
            SELECT d.id, d.provider, d.delivery_id, (SELECT COUNT(*) FROM w) FROM d
            """
        let rows = try await Self.rows(statement, client: client, logger: logger)
        var ids: [[String]: Int64] = [:]
        for row in rows {
            let (id, provider, deliveryID, _) = try row.decode((Int64, String, String, Int64).self)
            ids[[provider, deliveryID]] = id
        }
        // The first delivery with a key owns it; any later one is a duplicate.
        return writes.map { write in
            ids.removeValue(forKey: [write.delivery.provider.rawValue, write.delivery.deliveryID]).map { .recorded($0) }
                ?? .duplicate
        }
    }
}

/// A delivery and the work it queues, as one write of a group.
struct DeliveryWrite: Sendable {
    var delivery: DeliveryRecord
    var work: [NewWork]
}
