import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

/// A delivery as the values of one `deliveries` row, in ``SQLiteDeliveryStore/insert(_:connection:)``'s
/// column order, with the plan it came from (its work, and the heads it moves).
struct DeliveryRow: Sendable {
    /// Provider and delivery id: what makes a delivery a duplicate.
    let key: String
    let values: [SQLiteData]
    let plan: DeliveryPlan
    let receivedAt: Double

    init(_ plan: DeliveryPlan) {
        let delivery = plan.record
        self.key = Self.key(provider: delivery.provider.rawValue, deliveryID: delivery.deliveryID)
        self.plan = plan
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
    /// same batch) is a duplicate: neither it, its work nor its heads are written. Deliveries that move
    /// heads are settled first, in order, against the heads the store remembers.
    static func insert(_ rows: [DeliveryRow], connection: SQLiteConnection) async throws -> [RecordResult] {
        precondition(rows.count <= self.maxBatch, "the batcher bounds a batch")
        guard !rows.isEmpty else { return [] }
        var rows = rows
        var moved: [[HeadKey: String]] = Array(repeating: [:], count: rows.count)
        if rows.contains(where: { !$0.plan.refs.isEmpty }) {
            var current = try await self.heads(Set(rows.flatMap(\.plan.headKeys)), connection)
            for index in rows.indices where !rows[index].plan.refs.isEmpty {
                let (settled, heads) = rows[index].plan.settled(remembered: current)
                current.merge(heads) { $1 }
                moved[index] = heads
                // Settling changes the reason whenever it changes anything: the row (its body bound again) is
                // rebuilt only then.
                if settled.record.reason != rows[index].plan.record.reason { rows[index] = DeliveryRow(settled) }
            }
        }
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
            rowIDs.removeValue(forKey: row.key).map { .recorded(Int64($0), row.plan) } ?? .duplicate
        }
        var work: [QueuedWork] = []
        var heads: [HeadKey: String] = [:]
        for (index, (row, result)) in zip(rows, results).enumerated() {
            guard let id = result.id else { continue }
            work += row.plan.work.map { QueuedWork(delivery: id, parent: nil, at: row.receivedAt, work: $0) }
            heads.merge(moved[index]) { $1 }
        }
        try await self.remember(heads, at: rows[0].receivedAt, connection)
        try await self.insertWork(work, connection)
        return results
    }

    /// Most head keys in one statement (2 or 3 bound values each).
    private static let maxHeadsPerStatement = 1000

    /// The remembered heads of `keys` that have one.
    static func heads(_ keys: Set<HeadKey>, _ connection: SQLiteConnection) async throws -> [HeadKey: String] {
        let keys = keys.sorted()
        var heads: [HeadKey: String] = [:]
        for start in stride(from: 0, to: keys.count, by: self.maxHeadsPerStatement) {
            let slice = keys[start..<min(start + self.maxHeadsPerStatement, keys.count)]
            let rows = try await connection.query(
                """
                SELECT repository, ref, head FROM ref_heads
                WHERE (repository, ref) IN (VALUES \(Array(repeating: "(?, ?)", count: slice.count).joined(separator: ", ")))
                """,
                slice.flatMap { [SQLiteData.text($0.repository), .text($0.ref)] }
            )
            for row in rows {
                guard let repository = row.column("repository")?.string, let ref = row.column("ref")?.string,
                    let head = row.column("head")?.string
                else { throw StoreCorruption(column: "head") }
                heads[HeadKey(repository: repository, ref: ref)] = head
            }
        }
        return heads
    }

    /// Remembers each of `heads`, replacing what was there.
    static func remember(_ heads: [HeadKey: String], at time: Double, _ connection: SQLiteConnection) async throws {
        let entries = heads.sorted { $0.key < $1.key }
        for start in stride(from: 0, to: entries.count, by: self.maxHeadsPerStatement) {
            let slice = entries[start..<min(start + self.maxHeadsPerStatement, entries.count)]
            _ = try await connection.query(
                """
                INSERT INTO ref_heads (repository, ref, head, updated_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?)", count: slice.count).joined(separator: ", "))
                ON CONFLICT (repository, ref) DO UPDATE SET head = excluded.head, updated_at = excluded.updated_at
                """,
                slice.flatMap { [.text($0.key.repository), .text($0.key.ref), .text($0.value), .float(time)] }
            )
        }
    }

    /// An item of work to insert: whose it is, and when it was queued.
    struct QueuedWork {
        /// `nil` for work no delivery brought.
        var delivery: Int64?
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
                    item.delivery.map { .integer(Int($0)) } ?? .null, item.parent.map { .integer(Int($0)) } ?? .null,
                    .text(item.work.kind.rawValue), .blob(ByteBuffer(bytes: item.work.payload)),
                    item.work.key.map(SQLiteData.text) ?? .null, .integer(item.work.once ? 1 : 0),
                    item.work.group.map(SQLiteData.text) ?? .null, .integer(item.work.uniqueResult ? 1 : 0),
                    .float(item.at),
                    .float(item.at + item.work.after.seconds), .float(item.at),
                ]
            }
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)", count: slice.count)
            let insert = """
                INSERT INTO work (delivery, parent, kind, payload, key, key_once, work_group, result_unique, state,
                                  attempts, queued_at, next_attempt_at, updated_at)
                VALUES \(rows.joined(separator: ", "))
                """
            // Items without a key cannot conflict, nor without a group supersede: most of a delivery's (a
            // push's job creations) are written without the clauses below, which SQLite would parse anew
            // for every batch.
            guard slice.contains(where: { $0.work.key != nil || $0.work.group != nil }) else {
                _ = try await connection.query(insert, binds)
                continue
            }
            // Right-hand sides read the stored row as it was, so `work.state` is the state before. Rows
            // come back only for items inserted or taken (an item queued once and already there is not).
            let written = try await connection.query(
                insert + """

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
