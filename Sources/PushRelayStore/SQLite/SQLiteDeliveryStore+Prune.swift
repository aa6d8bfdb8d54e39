import Foundation
import PushRelayCore
import SQLiteNIO

/// Retention on SQLite: one batch is one savepoint in the writer's group commit, so a webhook waits at
/// most for one batch's deletes.
extension SQLiteDeliveryStore {
    package func pruneDeliveries(receivedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await self.batcher.perform { connection in
            // Oldest first, through the index on received_at; a delivery with a job still to send is kept.
            _ = try await connection.query(
                """
                CREATE TEMP TABLE IF NOT EXISTS pruned (id INTEGER PRIMARY KEY)
                """
            )
            _ = try await connection.query("DELETE FROM pruned")
            _ = try await connection.query(
                """
                INSERT INTO pruned (id)
                SELECT d.id FROM deliveries d
                WHERE d.received_at < ?1
                  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.delivery = d.id AND j.state IN ('pending', 'sending'))
                ORDER BY d.received_at LIMIT ?2
                """,
                [.float(cutoff.timeIntervalSince1970), .integer(limit)]
            )
            _ = try await connection.query(
                "DELETE FROM job_attempts WHERE job IN (SELECT id FROM jobs WHERE delivery IN (SELECT id FROM pruned))"
            )
            _ = try await connection.query("DELETE FROM jobs WHERE delivery IN (SELECT id FROM pruned)")
            let deleted = try await connection.query(
                "DELETE FROM deliveries WHERE id IN (SELECT id FROM pruned) RETURNING id"
            )
            return deleted.count
        }
    }
}
