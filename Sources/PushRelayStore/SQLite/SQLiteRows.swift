import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

/// Row shapes of the schema in ``Migrations``, read back into Core's types.
enum SQLiteRows {
    static let jobSelect = """
        SELECT j.id, j.fence, \(JobColumns.names(prefix: "j.")), j.attempts, j.queued_at, j.state, j.last_error,
               j.terrakube_job_id, j.look_first, j.uncertain_since, d.provider, d.delivery_id
        FROM jobs j JOIN deliveries d ON d.id = j.delivery
        """

    static let deliverySelect = """
        SELECT d.id, d.provider, d.delivery_id, d.event, d.received_at, d.repository, d.ref, d.decision, d.reason,
               d.signature, d.headers, d.body
        FROM deliveries d
        """

    static func claimedJob(from row: SQLiteRow) throws -> ClaimedJob {
        guard let id = row.column("id")?.integer, let provider = ProviderKind(rawValue: try self.text(row, "provider"))
        else {
            throw StoreCorruption(column: "id")
        }
        return ClaimedJob(
            id: Int64(id),
            fence: Int64(row.column("fence")?.integer ?? 0),
            spec: try JobColumns.spec { try self.text(row, $0) },
            attempts: row.column("attempts")?.integer ?? 0,
            provider: provider,
            deliveryID: try self.text(row, "delivery_id"),
            queuedAt: Date(timeIntervalSince1970: row.column("queued_at")?.double ?? 0),
            lookFirst: (row.column("look_first")?.integer ?? 0) != 0,
            firstUncertainAttemptAt: row.column("uncertain_since")?.double.map(Date.init(timeIntervalSince1970:))
        )
    }

    static func jobRecords(
        _ connection: SQLiteConnection,
        where condition: String,
        _ binds: [SQLiteData]
    ) async throws
        -> [JobRecord]
    {
        var records: [JobRecord] = []
        for row in try await connection.query(self.jobSelect + " WHERE \(condition) ORDER BY j.id", binds) {
            let job = try self.claimedJob(from: row)
            guard let state = row.column("state")?.string.flatMap(JobState.init(rawValue:)) else {
                throw StoreCorruption(column: "state")
            }
            let history = try await connection.query(
                "SELECT finished_at, outcome, status, detail FROM job_attempts WHERE job = ? ORDER BY id",
                [.integer(Int(job.id))]
            ).map { attempt in
                AttemptRecord(
                    at: Date(timeIntervalSince1970: attempt.column("finished_at")?.double ?? 0),
                    outcome: attempt.column("outcome")?.string ?? "",
                    status: attempt.column("status")?.integer,
                    detail: attempt.column("detail")?.string
                )
            }
            records.append(
                JobRecord(
                    id: job.id,
                    spec: job.spec,
                    state: state,
                    attempts: job.attempts,
                    lastError: row.column("last_error")?.string,
                    terrakubeJobID: row.column("terrakube_job_id")?.string,
                    history: history
                )
            )
        }
        return records
    }

    static func summary(from row: SQLiteRow, _ connection: SQLiteConnection) async throws -> DeliverySummary {
        guard let rowID = row.column("id")?.integer,
            let provider = ProviderKind(rawValue: try self.text(row, "provider"))
        else {
            throw StoreCorruption(column: "provider")
        }
        return DeliverySummary(
            provider: provider,
            deliveryID: try self.text(row, "delivery_id"),
            event: try self.text(row, "event"),
            receivedAt: Date(timeIntervalSince1970: row.column("received_at")?.double ?? 0),
            repository: row.column("repository")?.string,
            ref: row.column("ref")?.string,
            decision: try self.text(row, "decision"),
            reason: try self.text(row, "reason"),
            signature: try self.text(row, "signature"),
            jobs: try await self.jobRecords(connection, where: "j.delivery = ?", [.integer(rowID)])
        )
    }

    static func headers(from row: SQLiteRow) -> [(name: String, value: String)] {
        StoredHeaders.decode(row.column("headers")?.string)
    }

    static func body(from row: SQLiteRow) -> [UInt8] {
        row.column("body")?.blob.map { Array(buffer: $0) } ?? []
    }

    private static func text(_ row: SQLiteRow, _ name: String) throws -> String {
        guard let value = row.column(name)?.string else { throw StoreCorruption(column: name) }
        return value
    }
}
