import Foundation
import PostgresNIO
import PushRelayCore

extension PostgresDeliveryStore {
    package func planComment(_ pull: PullRequestID) async throws -> (comment: StoredPlanComment, version: Int)? {
        let rows = try await self.rows(
            """
            SELECT version, comment FROM pushrelay.plan_comments
            WHERE repository = \(pull.repository) AND number = \(pull.number)
            """
        )
        guard let row = rows.first else { return nil }
        let (version, text) = try row.decode((Int, String).self)
        return (try JSONDecoder().decode(StoredPlanComment.self, from: Data(text.utf8)), version)
    }

    package func writePlanComment(
        _ pull: PullRequestID,
        _ comment: StoredPlanComment,
        replacing version: Int?
    ) async throws -> Bool {
        let text = String(decoding: try JSONEncoder().encode(comment), as: UTF8.self)
        guard let version else {
            return try await self.rows(
                """
                INSERT INTO pushrelay.plan_comments (repository, number, version, comment, updated_at)
                VALUES (\(pull.repository), \(pull.number), 1, \(text), now())
                ON CONFLICT (repository, number) DO NOTHING RETURNING 1
                """
            ).count == 1
        }
        return try await self.rows(
            """
            UPDATE pushrelay.plan_comments SET version = version + 1, comment = \(text), updated_at = now()
            WHERE repository = \(pull.repository) AND number = \(pull.number) AND version = \(version)
            RETURNING 1
            """
        ).count == 1
    }
}
