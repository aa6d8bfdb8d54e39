import Foundation
import PushRelayCore
import SQLiteNIO

/// Retention on SQLite: one batch is one savepoint in the writer's group commit, so a webhook waits at
/// most for one batch's deletes.
extension SQLiteDeliveryStore {
    package func pruneDeliveries(receivedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await self.batcher.perform { connection in
            // Oldest first, through the index on received_at; a delivery with work still to do is kept.
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
                  AND NOT EXISTS (SELECT 1 FROM work w WHERE w.delivery = d.id AND w.state IN ('pending', 'running'))
                ORDER BY d.received_at LIMIT ?2
                """,
                [.float(cutoff.timeIntervalSince1970), .integer(limit)]
            )
            _ = try await connection.query(
                "DELETE FROM work_attempts WHERE work IN (SELECT id FROM work WHERE delivery IN (SELECT id FROM pruned))"
            )
            _ = try await connection.query("DELETE FROM work WHERE delivery IN (SELECT id FROM pruned)")
            let deleted = try await connection.query(
                "DELETE FROM deliveries WHERE id IN (SELECT id FROM pruned) RETURNING id"
            )
            return deleted.count
        }
    }

    package func pruneDocuments(writtenBefore cutoff: Date, limit: Int) async throws -> Int {
        try await self.batcher.perform { connection in
            try await connection.query(
                """
                DELETE FROM documents WHERE (scope, name) IN (
                    SELECT scope, name FROM documents WHERE updated_at < ?1 ORDER BY updated_at LIMIT ?2
                ) RETURNING 1
                """,
                [.float(cutoff.timeIntervalSince1970), .integer(limit)]
            ).count
        }
    }
}
