import Foundation
import PostgresNIO
import PushRelayCore

/// Retention on PostgreSQL: one statement per batch. Rows another replica is pruning at the same moment
/// are skipped, not waited for.
extension PostgresDeliveryStore {
    package func pruneDeliveries(receivedBefore cutoff: Date, limit: Int) async throws -> Int {
        // Foreign keys are checked at the end of the statement, once all three deletes are done.
        let rows = try await self.rows(
            """
            WITH v AS (
                SELECT d.id FROM pushrelay.deliveries d
                WHERE d.received_at < \(cutoff)
                  AND NOT EXISTS (SELECT 1 FROM pushrelay.work w WHERE w.delivery = d.id
                                  AND w.state IN ('pending', 'running'))
                ORDER BY d.received_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), a AS (
                DELETE FROM pushrelay.work_attempts
                WHERE work IN (SELECT id FROM pushrelay.work WHERE delivery IN (SELECT id FROM v))
            ), w AS (
                DELETE FROM pushrelay.work WHERE delivery IN (SELECT id FROM v)
            ), d AS (
                DELETE FROM pushrelay.deliveries WHERE id IN (SELECT id FROM v) RETURNING id
            )
            SELECT COUNT(*) FROM d
            """
        )
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    package func pruneDocuments(writtenBefore cutoff: Date, limit: Int) async throws -> Int {
        let rows = try await self.rows(
            """
            WITH v AS (
                SELECT scope, name FROM pushrelay.documents WHERE updated_at < \(cutoff)
                ORDER BY updated_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ), d AS (
                DELETE FROM pushrelay.documents WHERE (scope, name) IN (SELECT scope, name FROM v) RETURNING 1
            )
            SELECT COUNT(*) FROM d
            """
        )
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }
}
