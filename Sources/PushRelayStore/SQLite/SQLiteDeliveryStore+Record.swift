import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

/// A delivery as the values of one `deliveries` row, in ``SQLiteDeliveryStore/insert(_:connection:)``'s
/// column order, with the work it queues.
struct DeliveryRow: Sendable {
    /// Provider and delivery id: what makes a delivery a duplicate.
    let key: String
    let values: [SQLiteData]
    let work: [NewWork]
    let receivedAt: Double

    init(_ delivery: DeliveryRecord, work: [NewWork]) {
        self.key = Self.key(provider: delivery.provider.rawValue, deliveryID: delivery.deliveryID)
        self.work = work
        self.receivedAt = delivery.receivedAt.timeIntervalSince1970
        self.values = [
            .text(delivery.provider.rawValue), .text(delivery.deliveryID), .text(delivery.event),
            .float(self.receivedAt), delivery.repository.map(SQLiteData.text) ?? .null,
            delivery.ref.map(SQLiteData.text) ?? .null, .text(delivery.decision.rawValue), .text(delivery.reason),
            .text(delivery.signature.description), .text(StoredHeaders.json(delivery.headers)),
            .blob(ByteBuffer(bytes: delivery.body)),
        ]
    }

    static func key(provider: String, deliveryID: String) -> String { provider + "\u{0}" + deliveryID }
}

extension SQLiteDeliveryStore {
    /// Most deliveries in one batch: their 11 bound values each stay far below SQLite's limit on bound
    /// parameters, so a batch's deliveries are always one statement.
    static let maxBatch = 256
    /// Most items of work in one statement (11 bound values each, far below SQLite's limit).
    static let maxWorkPerStatement = 1000

    /// Writes a batch of deliveries with one statement and their work with as few as fit, inside the
    /// batcher's transaction. A delivery whose provider and id are already stored (or appear earlier in the
    /// same batch) is a duplicate: neither it nor its work is written.
    static func insert(_ rows: [DeliveryRow], connection: SQLiteConnection) async throws -> [RecordResult] {
        precondition(rows.count <= self.maxBatch, "the batcher bounds a batch")
        guard !rows.isEmpty else { return [] }
        let placeholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        let inserted = try await connection.query(
            """
            INSERT INTO deliveries (provider, delivery_id, event, received_at, repository, ref, decision, reason,
                                    signature, headers, body)
            VALUES \(Array(repeating: placeholders, count: rows.count).joined(separator: ", "))
            ON CONFLICT (provider, delivery_id) DO NOTHING
            RETURNING id, provider, delivery_id
            """,
            rows.flatMap(\.values)
        )
        var rowIDs: [String: Int] = [:]
        for row in inserted {
            guard let id = row.column("id")?.integer, let provider = row.column("provider")?.string,
                let deliveryID = row.column("delivery_id")?.string
            else { throw StoreCorruption(column: "id") }
            rowIDs[DeliveryRow.key(provider: provider, deliveryID: deliveryID)] = id
        }
        // The first row with a key owns it; any later one in the batch is a duplicate.
        let results: [RecordResult] = rows.map { row in
            rowIDs.removeValue(forKey: row.key).map { .recorded(Int64($0)) } ?? .duplicate
        }
        var work: [QueuedWork] = []
        for (row, result) in zip(rows, results) {
            guard case .recorded(let id) = result else { continue }
            work += row.work.map { QueuedWork(delivery: id, parent: nil, at: row.receivedAt, work: $0) }
        }
        try await self.insertWork(work, connection)
        return results
    }

    /// An item of work to insert: whose it is, and when it was queued.
    struct QueuedWork {
        var delivery: Int64
        var parent: Int64?
        var at: Double
        var work: NewWork
    }

    /// New pending items, queued at their `at` and due `after` it, in as few statements as fit. A keyed
    /// item already stored takes the new payload instead, unless it is queued once; a grouped item
    /// supersedes its group's older unfinished items (``WorkQueue``'s and ``NewWork``'s rules, in SQL).
    static func insertWork(_ items: [QueuedWork], _ connection: SQLiteConnection) async throws {
        for start in stride(from: 0, to: items.count, by: self.maxWorkPerStatement) {
            let slice = items[start..<min(start + self.maxWorkPerStatement, items.count)]
            var binds: [SQLiteData] = []
            for item in slice {
                binds += [
                    .integer(Int(item.delivery)), item.parent.map { .integer(Int($0)) } ?? .null,
                    .text(item.work.kind.rawValue), .blob(ByteBuffer(bytes: item.work.payload)),
                    item.work.key.map(SQLiteData.text) ?? .null, .integer(item.work.once ? 1 : 0),
                    item.work.group.map(SQLiteData.text) ?? .null, .integer(item.work.uniqueResult ? 1 : 0),
                    .float(item.at),
                    .float(item.at + item.work.after.seconds), .float(item.at),
                ]
            }
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)", count: slice.count)
            // Right-hand sides read the stored row as it was, so `work.state` is the state before. Rows
            // come back only for items inserted or taken (an item queued once and already there is not).
            let written = try await connection.query(
                """
                INSERT INTO work (delivery, parent, kind, payload, key, key_once, work_group, result_unique, state,
                                  attempts, queued_at, next_attempt_at, updated_at)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (kind, key) WHERE key IS NOT NULL DO UPDATE SET
                    payload = CASE WHEN work.state = 'running' THEN work.payload ELSE excluded.payload END,
                    next_payload = CASE WHEN work.state = 'running' THEN excluded.payload END,
                    next_attempt_at = CASE WHEN work.state = 'running' THEN work.next_attempt_at
                                           ELSE excluded.next_attempt_at END,
                    attempts = CASE WHEN work.state = 'running' THEN work.attempts ELSE 0 END,
                    last_error = CASE WHEN work.state = 'running' THEN work.last_error END,
                    uncertain = CASE WHEN work.state = 'running' THEN work.uncertain ELSE 0 END,
                    state = CASE WHEN work.state = 'running' THEN 'running' ELSE 'pending' END,
                    updated_at = excluded.updated_at
                WHERE excluded.key_once = 0
                RETURNING id, kind, work_group
                """,
                binds
            )
            for row in written {
                guard let group = row.column("work_group")?.string, let id = row.column("id")?.integer,
                    let kind = row.column("kind")?.string
                else { continue }
                _ = try await connection.query(
                    """
                    UPDATE work SET state = CASE WHEN state = 'pending' THEN 'superseded' ELSE state END,
                                    superseded_at = ?1, updated_at = ?1
                    WHERE kind = ?2 AND work_group = ?3 AND id < ?4 AND state IN ('pending', 'running')
                      AND superseded_at IS NULL
                    """,
                    [.float(slice.first?.at ?? 0), .text(kind), .text(group), .integer(id)]
                )
            }
        }
    }
}
