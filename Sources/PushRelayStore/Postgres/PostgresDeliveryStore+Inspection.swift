import Foundation
import NIOCore
import PostgresNIO
import PushRelayCore

/// What `deliveries list`, `show`, `export` and `/metrics` read: plain reads, database-wide.
extension PostgresDeliveryStore {
    package func workCounts() async throws -> [WorkKind: [WorkState: Int]] {
        var counts: [WorkKind: [WorkState: Int]] = [:]
        let rows = try await self.rows("SELECT kind, state, COUNT(*) FROM pushrelay.work GROUP BY kind, state")
        for row in rows {
            let (kind, state, count) = try row.decode((String, String, Int64).self)
            if let state = WorkState(rawValue: state) {
                counts[WorkKind(rawValue: kind), default: [:]][state] = Int(count)
            }
        }
        return counts
    }

    package func oldestUnfinishedWork() async throws -> [WorkKind: Date] {
        let rows = try await self.rows(
            "SELECT kind, MIN(queued_at) FROM pushrelay.work WHERE state IN ('pending', 'running') GROUP BY kind"
        )
        var oldest: [WorkKind: Date] = [:]
        for row in rows {
            let (kind, at) = try row.decode((String, Date).self)
            oldest[WorkKind(rawValue: kind)] = at
        }
        return oldest
    }

    package func work(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord] {
        try await self.workRecords(
            """
            SELECT \(unescaped: PostgresRows.workColumns) FROM pushrelay.work w
            WHERE w.delivery = (SELECT id FROM pushrelay.deliveries
                                WHERE provider = \(provider.rawValue) AND delivery_id = \(deliveryID))
            ORDER BY w.id
            """
        )
    }

    package func recentDeliveries(limit: Int) async throws -> [DeliverySummary] {
        try await self.deliveries(
            "SELECT \(unescaped: Self.deliveryColumns) FROM pushrelay.deliveries ORDER BY received_at DESC, id DESC LIMIT \(limit)"
        ).map(\.summary)
    }

    package func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery] {
        try await self.deliveries(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM pushrelay.deliveries
            WHERE delivery_id = \(deliveryID) AND (\(provider?.rawValue)::text IS NULL OR provider = \(provider?.rawValue))
            ORDER BY id
            """
        )
    }

    private static let deliveryColumns =
        "id, provider, delivery_id, event, received_at, repository, ref, decision, reason, signature, headers, body"

    private func deliveries(_ query: PostgresQuery) async throws -> [StoredDelivery] {
        var found: [StoredDelivery] = []
        for row in try await self.rows(query) {
            let cells = row.makeRandomAccess()
            guard let provider = ProviderKind(rawValue: try cells["provider"].decode(String.self)) else {
                throw StoreCorruption(column: "provider")
            }
            let id = try cells["id"].decode(Int64.self)
            let summary = DeliverySummary(
                provider: provider,
                deliveryID: try cells["delivery_id"].decode(String.self),
                event: try cells["event"].decode(String.self),
                receivedAt: try cells["received_at"].decode(Date.self),
                repository: try cells["repository"].decode(String?.self),
                ref: try cells["ref"].decode(String?.self),
                decision: try cells["decision"].decode(String.self),
                reason: try cells["reason"].decode(String.self),
                signature: try cells["signature"].decode(String.self),
                work: try await self.workRecords(
                    "SELECT \(unescaped: PostgresRows.workColumns) FROM pushrelay.work w WHERE w.delivery = \(id) ORDER BY w.id"
                )
            )
            let body = try cells["body"].decode(ByteBuffer.self)
            found.append(
                StoredDelivery(
                    summary: summary,
                    headers: StoredHeaders.decode(try cells["headers"].decode(String.self)),
                    body: Array(buffer: body)
                )
            )
        }
        return found
    }

    private func workRecords(_ query: PostgresQuery) async throws -> [WorkRecord] {
        let rows = try await self.rows(query)
        var records: [WorkRecord] = []
        for row in rows {
            let id = try row.makeRandomAccess()["id"].decode(Int64.self)
            let history = try await self.rows(
                "SELECT finished_at, outcome, status, detail FROM pushrelay.work_attempts WHERE work = \(id) ORDER BY id"
            ).map { attempt in
                let (at, outcome, status, detail) = try attempt.decode((Date, String, Int32?, String?).self)
                return AttemptRecord(at: at, outcome: outcome, status: status.map(Int.init), detail: detail)
            }
            records.append(try PostgresRows.workRecord(from: row, history: history))
        }
        return records
    }
}
