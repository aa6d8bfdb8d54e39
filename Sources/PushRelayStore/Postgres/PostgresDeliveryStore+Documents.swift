import Foundation
import PostgresNIO
import PushRelayCore

extension PostgresDeliveryStore {
    package func document(_ key: DocumentKey) async throws -> (text: String, version: Int)? {
        let rows = try await self.rows(
            """
            SELECT version, body FROM pushrelay.documents
            WHERE scope = \(key.scope.rawValue) AND name = \(key.name)
            """
        )
        guard let row = rows.first else { return nil }
        let (version, text) = try row.decode((Int, String).self)
        return (text, version)
    }

    package func writeDocument(_ key: DocumentKey, _ text: String, replacing version: Int?) async throws -> Bool {
        guard let version else {
            return try await self.rows(
                """
                INSERT INTO pushrelay.documents (scope, name, version, body, updated_at)
                VALUES (\(key.scope.rawValue), \(key.name), 1, \(text), now())
                ON CONFLICT (scope, name) DO NOTHING RETURNING 1
                """
            ).count == 1
        }
        return try await self.rows(
            """
            UPDATE pushrelay.documents SET version = version + 1, body = \(text), updated_at = now()
            WHERE scope = \(key.scope.rawValue) AND name = \(key.name) AND version = \(version)
            RETURNING 1
            """
        ).count == 1
    }
}
