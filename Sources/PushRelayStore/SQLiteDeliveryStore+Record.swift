import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

/// A delivery as the values of one `deliveries` row, in ``SQLiteDeliveryStore/insert(_:connection:)``'s
/// column order.
struct DeliveryRow: Sendable {
    /// Provider and delivery id: what makes a delivery a duplicate.
    let key: String
    let values: [SQLiteData]

    init(_ plan: DeliveryPlan) {
        self.key = Self.key(provider: plan.provider.rawValue, deliveryID: plan.deliveryID)
        // JSON written by hand: a JSONEncoder per delivery shows up in profiles.
        let headers = "[" + plan.headers.map { JSONText.array([$0.name, $0.value]) }.joined(separator: ",") + "]"
        let jobs = plan.jobs.map { job in
            JSONText.array([job.organization, job.workspace, job.template, job.overrideBranch, job.commitID, job.via])
        }
        self.values = [
            .text(plan.provider.rawValue), .text(plan.deliveryID), .text(plan.event),
            .float(plan.receivedAt.timeIntervalSince1970), plan.repository.map(SQLiteData.text) ?? .null,
            plan.ref.map(SQLiteData.text) ?? .null, .text(plan.decision.rawValue), .text(plan.reason),
            .text(plan.signature.description), .text(headers), .blob(ByteBuffer(bytes: plan.body)),
            jobs.isEmpty ? .null : .text("[" + jobs.joined(separator: ",") + "]"),
        ]
    }

    static func key(provider: String, deliveryID: String) -> String { provider + "\u{0}" + deliveryID }
}

extension SQLiteDeliveryStore {
    /// Most deliveries in one batch: their 12 bound values each stay far below SQLite's limit on bound
    /// parameters, so a batch is always one statement.
    static let maxBatch = 256

    /// Writes a batch of deliveries, and through the `deliveries_planned_jobs` trigger their jobs, with
    /// one statement, atomic by itself. A delivery whose provider and id are already stored (or appear
    /// earlier in the same batch) is a duplicate: neither it nor its jobs are written.
    static func insert(_ rows: [DeliveryRow], connection: SQLiteConnection) async throws -> [RecordResult] {
        precondition(rows.count <= self.maxBatch, "the batcher bounds a batch")
        guard !rows.isEmpty else { return [] }
        let placeholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        let inserted = try await connection.query(
            """
            INSERT INTO deliveries (provider, delivery_id, event, received_at, repository, ref, decision, reason,
                                    signature, headers, body, planned_jobs)
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
        return rows.map { row in rowIDs.removeValue(forKey: row.key).map { .recorded(Int64($0)) } ?? .duplicate }
    }
}
