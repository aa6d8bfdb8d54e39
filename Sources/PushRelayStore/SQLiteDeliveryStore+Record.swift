import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

extension SQLiteDeliveryStore {
    /// Rows per multi-row `INSERT`, well under SQLite's limit on bound parameters.
    private static let rowsPerStatement = 200

    /// Writes a batch of deliveries and their jobs with a few multi-row statements. A delivery whose
    /// provider and id are already stored (or appear earlier in the same batch) is a duplicate: neither it
    /// nor its jobs are written.
    static func insert(_ plans: [DeliveryPlan], connection: SQLiteConnection) async throws -> [RecordResult] {
        var rowIDs: [String: Int] = [:]
        for chunk in stride(from: 0, to: plans.count, by: self.rowsPerStatement) {
            let slice = plans[chunk..<min(chunk + self.rowsPerStatement, plans.count)]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(slice.count * 11)
            for plan in slice {
                // `[[name, value], …]`, written by hand: a JSONEncoder per delivery shows up in profiles.
                let headers =
                    "["
                    + plan.headers.map { "[\(JSONText.quote($0.name)),\(JSONText.quote($0.value))]" }.joined(
                        separator: ","
                    )
                    + "]"
                binds += [
                    .text(plan.provider.rawValue), .text(plan.deliveryID), .text(plan.event),
                    .float(plan.receivedAt.timeIntervalSince1970), plan.repository.map(SQLiteData.text) ?? .null,
                    plan.ref.map(SQLiteData.text) ?? .null, .text(plan.decision.rawValue), .text(plan.reason),
                    .text(plan.signature.description), .text(headers), .blob(ByteBuffer(bytes: plan.body)),
                ]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: slice.count).joined(
                separator: ", "
            )
            let rows = try await connection.query(
                """
                INSERT INTO deliveries (provider, delivery_id, event, received_at, repository, ref, decision, reason,
                                        signature, headers, body)
                VALUES \(values)
                ON CONFLICT (provider, delivery_id) DO NOTHING
                RETURNING id, provider, delivery_id
                """,
                binds
            )
            for row in rows {
                guard let id = row.column("id")?.integer, let provider = row.column("provider")?.string,
                    let deliveryID = row.column("delivery_id")?.string
                else { throw StoreCorruption(column: "id") }
                rowIDs[provider + "\u{0}" + deliveryID] = id
            }
        }

        // The first plan with a key owns the row; any later one in the batch is a duplicate.
        var results: [RecordResult] = []
        var jobs: [(delivery: Int, job: JobSpec, at: Double)] = []
        for plan in plans {
            let key = plan.provider.rawValue + "\u{0}" + plan.deliveryID
            guard let id = rowIDs.removeValue(forKey: key) else {
                results.append(.duplicate)
                continue
            }
            results.append(.recorded(Int64(id)))
            jobs += plan.jobs.map { (id, $0, plan.receivedAt.timeIntervalSince1970) }
        }
        for chunk in stride(from: 0, to: jobs.count, by: self.rowsPerStatement) {
            let slice = jobs[chunk..<min(chunk + self.rowsPerStatement, jobs.count)]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(slice.count * 10)
            for (delivery, job, at) in slice {
                binds += [
                    .integer(delivery), .text(job.organization), .text(job.workspace), .text(job.template),
                    .text(job.overrideBranch), .text(job.commitID), .text(job.via), .float(at), .float(at), .float(at),
                ]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)", count: slice.count)
                .joined(separator: ", ")
            _ = try await connection.query(
                """
                INSERT INTO jobs (delivery, organization, workspace, template, override_branch, commit_id, via,
                                  state, attempts, queued_at, next_attempt_at, updated_at)
                VALUES \(values)
                """,
                binds
            )
        }
        return results
    }
}
