import Foundation
import PushRelayCore
import SQLiteNIO

extension SQLiteDeliveryStore {
    package func planComment(_ pull: PullRequestID) async throws -> (comment: StoredPlanComment, version: Int)? {
        try await self.batcher.perform(singleStatement: true) { connection in
            let rows = try await connection.query(
                "SELECT version, comment FROM plan_comments WHERE repository = ?1 AND number = ?2",
                [.text(pull.repository), .integer(pull.number)]
            )
            guard let row = rows.first else { return nil }
            guard let version = row.column("version")?.integer, let text = row.column("comment")?.string,
                let comment = try? JSONDecoder().decode(StoredPlanComment.self, from: Data(text.utf8))
            else { throw StoreCorruption(column: "plan_comments.comment") }
            return (comment, version)
        }
    }

    package func writePlanComment(
        _ pull: PullRequestID,
        _ comment: StoredPlanComment,
        replacing version: Int?
    ) async throws -> Bool {
        let text = String(decoding: try JSONEncoder().encode(comment), as: UTF8.self)
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            let binds: [SQLiteData] = [.text(pull.repository), .integer(pull.number), .text(text), .float(now)]
            guard let version else {
                return try await connection.query(
                    """
                    INSERT INTO plan_comments (repository, number, version, comment, updated_at)
                    VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (repository, number) DO NOTHING RETURNING 1
                    """,
                    binds
                ).count == 1
            }
            return try await connection.query(
                """
                UPDATE plan_comments SET version = version + 1, comment = ?3, updated_at = ?4
                WHERE repository = ?1 AND number = ?2 AND version = ?5 RETURNING 1
                """,
                binds + [.integer(version)]
            ).count == 1
        }
    }
}
