import Foundation
import NIOCore
import PostgresNIO
import PushRelayCore

/// What `deliveries list`, `show`, `export` and `/metrics` read: plain reads, database-wide.
extension PostgresDeliveryStore {
    package func jobCounts() async throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        let rows = try await self.rows(
            "SELECT state, COUNT(*) FROM pushrelay.jobs GROUP BY state"
        )
        for row in rows {
            let (state, count) = try row.decode((String, Int64).self)
            if let state = JobState(rawValue: state) { counts[state] = Int(count) }
        }
        return counts
    }

    package func oldestPendingJob() async throws -> Date? {
        try await self.rows(
            "SELECT MIN(queued_at) FROM pushrelay.jobs WHERE state IN ('pending', 'sending')"
        ).first?.decode(Date?.self)
    }

    package func jobs(provider: ProviderKind, deliveryID: String) async throws -> [JobRecord] {
        try await self.jobRecords(
            """
            SELECT \(unescaped: PostgresRows.jobColumns) FROM pushrelay.jobs j
            WHERE j.delivery = (SELECT id FROM pushrelay.deliveries
                                WHERE provider = \(provider.rawValue) AND delivery_id = \(deliveryID))
            ORDER BY j.id
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
                jobs: try await self.jobRecords(
                    "SELECT \(unescaped: PostgresRows.jobColumns) FROM pushrelay.jobs j WHERE j.delivery = \(id) ORDER BY j.id"
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

    private func jobRecords(_ query: PostgresQuery) async throws -> [JobRecord] {
        let rows = try await self.rows(query)
        var records: [JobRecord] = []
        for row in rows {
            let id = try row.makeRandomAccess()["id"].decode(Int64.self)
            let history = try await self.rows(
                "SELECT finished_at, outcome, status, detail FROM pushrelay.job_attempts WHERE job = \(id) ORDER BY id"
            ).map { attempt in
                let (at, outcome, status, detail) = try attempt.decode((Date, String, Int32?, String?).self)
                return AttemptRecord(at: at, outcome: outcome, status: status.map(Int.init), detail: detail)
            }
            records.append(try PostgresRows.jobRecord(from: row, history: history))
        }
        return records
    }
}
