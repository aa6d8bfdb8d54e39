import Foundation
import PostgresNIO
import PushRelayCore

/// Row shapes of the schema in ``PostgresMigrations``, read back into Core's types by column name.
enum PostgresRows {
    /// A job with its delivery's provider and id, for a `RETURNING` or a `SELECT` over `pushrelay.jobs j`.
    static let jobColumns = """
        j.id, j.fence, \(JobColumns.names(prefix: "j.")), j.attempts, j.queued_at, j.state, j.last_error,
        j.terrakube_job_id, j.look_first, j.uncertain_since,
        (SELECT provider FROM pushrelay.deliveries d WHERE d.id = j.delivery) AS provider,
        (SELECT delivery_id FROM pushrelay.deliveries d WHERE d.id = j.delivery) AS delivery_id
        """

    /// A row a claim returned.
    static func claimedJob(from row: PostgresRow) throws -> ClaimedJob {
        let cells = row.makeRandomAccess()
        guard let provider = ProviderKind(rawValue: try cells["provider"].decode(String.self)) else {
            throw StoreCorruption(column: "provider")
        }
        // `attempts` counts the claim that returned this row; the dispatcher counts the attempts before it.
        let attempts = Int(try cells["attempts"].decode(Int32.self)) - 1
        return ClaimedJob(
            id: try cells["id"].decode(Int64.self),
            fence: try cells["fence"].decode(Int64.self),
            spec: try JobColumns.spec { try cells[$0].decode(String.self) },
            attempts: attempts,
            provider: provider,
            deliveryID: try cells["delivery_id"].decode(String.self),
            queuedAt: try cells["queued_at"].decode(Date.self),
            lookFirst: try cells["look_first"].decode(Bool.self),
            firstUncertainAttemptAt: try cells["uncertain_since"].decode(Date?.self)
        )
    }

    static func jobRecord(from row: PostgresRow, history: [AttemptRecord]) throws -> JobRecord {
        let cells = row.makeRandomAccess()
        guard let state = JobState(rawValue: try cells["state"].decode(String.self)) else {
            throw StoreCorruption(column: "state")
        }
        return JobRecord(
            id: try cells["id"].decode(Int64.self),
            spec: try JobColumns.spec { try cells[$0].decode(String.self) },
            state: state,
            attempts: Int(try cells["attempts"].decode(Int32.self)),
            lastError: try cells["last_error"].decode(String?.self),
            terrakubeJobID: try cells["terrakube_job_id"].decode(String?.self),
            history: history
        )
    }
}
