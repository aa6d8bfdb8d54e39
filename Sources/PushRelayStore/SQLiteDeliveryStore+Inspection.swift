import Foundation
import PushRelayCore
import SQLiteNIO

/// What `deliveries list`, `show`, `export` and `redeliver` read and do.
extension SQLiteDeliveryStore {
    package func jobCounts() async throws -> [JobState: Int] {
        try await self.batcher.perform { connection in
            var counts: [JobState: Int] = [:]
            for row in try await connection.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let state = row.column("state")?.string.flatMap(JobState.init(rawValue:)) {
                    counts[state] = row.column("n")?.integer ?? 0
                }
            }
            return counts
        }
    }

    package func oldestPendingJob() async throws -> Date? {
        try await self.batcher.perform { connection in
            let rows = try await connection.query(
                "SELECT MIN(queued_at) AS oldest FROM jobs WHERE state IN ('pending', 'sending')"
            )
            return rows.first?.column("oldest")?.double.map { Date(timeIntervalSince1970: $0) }
        }
    }

    package func jobs(provider: ProviderKind, deliveryID: String) async throws -> [JobRecord] {
        try await self.batcher.perform { connection in
            try await SQLiteRows.jobRecords(
                connection,
                where: "d.provider = ? AND d.delivery_id = ?",
                [.text(provider.rawValue), .text(deliveryID)]
            )
        }
    }

    package func recentDeliveries(limit: Int) async throws -> [DeliverySummary] {
        try await self.batcher.perform { connection in
            let rows = try await connection.query(
                SQLiteRows.deliverySelect + " ORDER BY d.received_at DESC, d.id DESC LIMIT ?",
                [.integer(limit)]
            )
            var summaries: [DeliverySummary] = []
            for row in rows {
                summaries.append(try await SQLiteRows.summary(from: row, connection))
            }
            return summaries
        }
    }

    package func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery] {
        try await self.batcher.perform { connection in
            var sql = SQLiteRows.deliverySelect + " WHERE d.delivery_id = ?"
            var binds: [SQLiteData] = [.text(deliveryID)]
            if let provider {
                sql += " AND d.provider = ?"
                binds.append(.text(provider.rawValue))
            }
            var found: [StoredDelivery] = []
            for row in try await connection.query(sql + " ORDER BY d.id", binds) {
                let summary = try await SQLiteRows.summary(from: row, connection)
                found.append(
                    StoredDelivery(
                        summary: summary,
                        headers: SQLiteRows.headers(from: row),
                        body: SQLiteRows.body(from: row)
                    )
                )
            }
            return found
        }
    }

    package func requeueJobs(provider: ProviderKind, deliveryID: String, at date: Date) async throws -> Int {
        let time = date.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            let rows = try await connection.query(
                """
                INSERT INTO jobs (delivery, organization, workspace, template, override_branch, commit_id, via,
                                  state, attempts, queued_at, next_attempt_at, updated_at)
                SELECT j.delivery, j.organization, j.workspace, j.template, j.override_branch, j.commit_id, j.via,
                       'pending', 0, ?, ?, ?
                FROM jobs j JOIN deliveries d ON d.id = j.delivery
                WHERE d.provider = ? AND d.delivery_id = ?
                  AND j.id IN (SELECT MIN(id) FROM jobs GROUP BY delivery, workspace, template)
                RETURNING id
                """,
                [.float(time), .float(time), .float(time), .text(provider.rawValue), .text(deliveryID)]
            )
            return rows.count
        }
    }
}
