import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

/// A delivery as the values of one `deliveries` row, in ``SQLiteDeliveryStore/insert(_:connection:)``'s
/// column order, with the jobs it owes.
struct DeliveryRow: Sendable {
    /// Provider and delivery id: what makes a delivery a duplicate.
    let key: String
    let values: [SQLiteData]
    let jobs: [JobSpec]
    let receivedAt: Double

    init(_ plan: DeliveryPlan) {
        self.key = Self.key(provider: plan.provider.rawValue, deliveryID: plan.deliveryID)
        self.jobs = plan.jobs
        self.receivedAt = plan.receivedAt.timeIntervalSince1970
        self.values = [
            .text(plan.provider.rawValue), .text(plan.deliveryID), .text(plan.event), .float(self.receivedAt),
            plan.repository.map(SQLiteData.text) ?? .null, plan.ref.map(SQLiteData.text) ?? .null,
            .text(plan.decision.rawValue), .text(plan.reason), .text(plan.signature.description),
            .text(StoredHeaders.json(plan.headers)), .blob(ByteBuffer(bytes: plan.body)),
        ]
    }

    static func key(provider: String, deliveryID: String) -> String { provider + "\u{0}" + deliveryID }
}

extension SQLiteDeliveryStore {
    /// Most deliveries in one batch: their 11 bound values each stay far below SQLite's limit on bound
    /// parameters, so a batch's deliveries are always one statement.
    static let maxBatch = 256
    /// Most jobs in one statement (10 bound values each, far below SQLite's limit).
    static let maxJobsPerStatement = 1000

    /// Writes a batch of deliveries with one statement and their jobs with as few as fit, inside the
    /// batcher's transaction. A delivery whose provider and id are already stored (or appear earlier in the
    /// same batch) is a duplicate: neither it nor its jobs are written.
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
        var jobs: [(delivery: Int64, at: Double, spec: JobSpec)] = []
        for (row, result) in zip(rows, results) {
            guard case .recorded(let id) = result else { continue }
            jobs += row.jobs.map { (id, row.receivedAt, $0) }
        }
        for start in stride(from: 0, to: jobs.count, by: self.maxJobsPerStatement) {
            try await self.insertJobs(jobs[start..<min(start + self.maxJobsPerStatement, jobs.count)], connection)
        }
        return results
    }

    /// New pending jobs, due at once, queued at `at`.
    static func insertJobs(
        _ jobs: ArraySlice<(delivery: Int64, at: Double, spec: JobSpec)>,
        _ connection: SQLiteConnection
    ) async throws {
        guard !jobs.isEmpty else { return }
        let specPlaceholders = Array(repeating: "?", count: JobColumns.spec.count).joined(separator: ", ")
        let row = "(?, \(specPlaceholders), 'pending', 0, ?, ?, ?)"
        var binds: [SQLiteData] = []
        for job in jobs {
            binds.append(.integer(Int(job.delivery)))
            binds += JobColumns.values(job.spec).map(SQLiteData.text)
            binds += [.float(job.at), .float(job.at), .float(job.at)]
        }
        _ = try await connection.query(
            """
            INSERT INTO jobs (delivery, \(JobColumns.names()), state, attempts, queued_at, next_attempt_at,
                              updated_at)
            VALUES \(Array(repeating: row, count: jobs.count).joined(separator: ", "))
            """,
            binds
        )
    }
}
