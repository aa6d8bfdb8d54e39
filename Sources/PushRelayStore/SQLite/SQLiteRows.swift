import Foundation
import NIOCore
import PushRelayCore
import SQLiteNIO

/// Row shapes of the schema in ``Migrations``, read back into Core's types.
enum SQLiteRows {
    /// An item's columns with its delivery's provider and id, for a claim's `RETURNING` (which allows
    /// subqueries where it does not allow a join) or a `SELECT` from `work`.
    static let claimColumns = """
        id, fence, kind, payload, queued_at, uncertain, uncertain_since, result,
        (SELECT provider FROM deliveries WHERE deliveries.id = work.delivery) AS provider,
        (SELECT delivery_id FROM deliveries WHERE deliveries.id = work.delivery) AS delivery_id
        """

    static let workSelect = """
        SELECT \(claimColumns), attempts, parent, state, last_error FROM work
        """

    static let deliverySelect = """
        SELECT d.id, d.provider, d.delivery_id, d.event, d.received_at, d.repository, d.ref, d.decision, d.reason,
               d.signature, d.headers, d.body
        FROM deliveries d
        """

    static func claimedWork(from row: SQLiteRow) throws -> ClaimedWork {
        guard let id = row.column("id")?.integer else { throw StoreCorruption(column: "id") }
        // No provider: work no delivery brought.
        let provider = row.column("provider")?.string.flatMap(ProviderKind.init(rawValue:))
        return ClaimedWork(
            id: Int64(id),
            fence: Int64(row.column("fence")?.integer ?? 0),
            kind: WorkKind(rawValue: try self.text(row, "kind")),
            payload: self.bytes(row, "payload"),
            attempts: row.column("attempts")?.integer ?? 0,
            provider: provider,
            deliveryID: row.column("delivery_id")?.string ?? "",
            queuedAt: Date(timeIntervalSince1970: row.column("queued_at")?.double ?? 0),
            uncertain: (row.column("uncertain")?.integer ?? 0) != 0,
            uncertainSince: row.column("uncertain_since")?.double.map(Date.init(timeIntervalSince1970:)),
            result: row.column("result")?.string
        )
    }

    static func workRecords(
        _ connection: SQLiteConnection,
        where condition: String,
        _ binds: [SQLiteData]
    ) async throws
        -> [WorkRecord]
    {
        var records: [WorkRecord] = []
        for row in try await connection.query(self.workSelect + " WHERE \(condition) ORDER BY id", binds) {
            let work = try self.claimedWork(from: row)
            guard let state = row.column("state")?.string.flatMap(WorkState.init(rawValue:)) else {
                throw StoreCorruption(column: "state")
            }
            let history = try await connection.query(
                "SELECT finished_at, outcome, status, detail FROM work_attempts WHERE work = ? ORDER BY id",
                [.integer(Int(work.id))]
            ).map { attempt in
                AttemptRecord(
                    at: Date(timeIntervalSince1970: attempt.column("finished_at")?.double ?? 0),
                    outcome: attempt.column("outcome")?.string ?? "",
                    status: attempt.column("status")?.integer,
                    detail: attempt.column("detail")?.string
                )
            }
            records.append(
                WorkRecord(
                    id: work.id,
                    parent: row.column("parent")?.integer.map(Int64.init),
                    kind: work.kind,
                    payload: work.payload,
                    state: state,
                    attempts: work.attempts,
                    lastError: row.column("last_error")?.string,
                    result: row.column("result")?.string,
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
            work: try await self.workRecords(connection, where: "delivery = ?", [.integer(rowID)])
        )
    }

    static func headers(from row: SQLiteRow) -> WebhookHeaders {
        StoredHeaders.decode(row.column("headers")?.string)
    }

    static func body(from row: SQLiteRow) -> [UInt8] {
        self.bytes(row, "body")
    }

    private static func bytes(_ row: SQLiteRow, _ name: String) -> [UInt8] {
        row.column(name)?.blob.map { Array(buffer: $0) } ?? []
    }

    private static func text(_ row: SQLiteRow, _ name: String) throws -> String {
        guard let value = row.column(name)?.string else { throw StoreCorruption(column: name) }
        return value
    }
}
