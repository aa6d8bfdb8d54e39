import Foundation
import PushRelayCore
import SQLiteNIO

extension SQLiteDeliveryStore {
    package func document(_ key: DocumentKey) async throws -> (text: String, version: Int)? {
        try await self.batcher.perform(singleStatement: true) { connection in
            let rows = try await connection.query(
                "SELECT version, body FROM documents WHERE scope = ?1 AND name = ?2",
                [.text(key.scope.rawValue), .text(key.name)]
            )
            guard let row = rows.first else { return nil }
            guard let version = row.column("version")?.integer, let text = row.column("body")?.string else {
                throw StoreCorruption(column: "documents.body")
            }
            return (text, version)
        }
    }

    package func writeDocument(_ key: DocumentKey, _ text: String, replacing version: Int?) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            let binds: [SQLiteData] = [.text(key.scope.rawValue), .text(key.name), .text(text), .float(now)]
            guard let version else {
                return try await connection.query(
                    """
                    INSERT INTO documents (scope, name, version, body, updated_at)
                    VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (scope, name) DO NOTHING RETURNING 1
                    """,
                    binds
                ).count == 1
            }
            return try await connection.query(
                """
                UPDATE documents SET version = version + 1, body = ?3, updated_at = ?4
                WHERE scope = ?1 AND name = ?2 AND version = ?5 RETURNING 1
                """,
                binds + [.integer(version)]
            ).count == 1
        }
    }
}
