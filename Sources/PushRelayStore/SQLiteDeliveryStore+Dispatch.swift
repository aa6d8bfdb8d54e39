import Foundation
import PushRelayCore
import SQLiteNIO

/// The dispatcher's side of the store: claiming jobs and recording how each attempt ended.
extension SQLiteDeliveryStore {
    package func claimDueJobs(limit: Int, now: Date) async throws -> [PendingJob] {
        let time = now.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            // Two statements whatever the limit: each statement is a hop to SQLite's thread.
            let claimed = try await connection.query(
                """
                UPDATE jobs SET state = 'sending', attempts = attempts + 1, attempt_started_at = ?1, updated_at = ?1
                WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND next_attempt_at <= ?1
                             ORDER BY next_attempt_at, id LIMIT ?2)
                RETURNING id
                """,
                [.float(time), .integer(limit)]
            ).compactMap { $0.column("id")?.integer }
            guard !claimed.isEmpty else { return [] }
            let placeholders = Array(repeating: "?", count: claimed.count).joined(separator: ", ")
            let rows = try await connection.query(
                SQLiteRows.jobSelect + " WHERE j.id IN (\(placeholders)) ORDER BY j.next_attempt_at, j.id",
                claimed.map { .integer($0) }
            )
            // Report the attempts made before this claim, as the dispatcher counts them.
            return try rows.map(SQLiteRows.pendingJob(from:)).map { job in
                var job = job
                job.attempts -= 1
                return job
            }
        }
    }

    package func finishAttempt(jobID: Int64, outcome: AttemptOutcome, at date: Date) async throws {
        let time = date.timeIntervalSince1970
        let id = SQLiteData.integer(Int(jobID))
        try await self.batcher.perform { connection in
            let record: (outcome: String, status: Int?, detail: String?)
            switch outcome {
            case .created(let terrakubeJobID, let adopted):
                _ = try await connection.query(
                    """
                    UPDATE jobs SET state = 'created', terrakube_job_id = ?, last_error = NULL, look_first = 0,
                                    updated_at = ?
                    WHERE id = ?
                    """,
                    [.text(terrakubeJobID), .float(time), id]
                )
                record = (adopted ? "adopted" : "created", nil, "Terrakube job \(terrakubeJobID)")
            case .retry(let status, let error, let next, let unknown):
                _ = try await connection.query(
                    """
                    UPDATE jobs SET state = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ?,
                                    look_first = (look_first OR ?),
                                    uncertain_since = CASE WHEN ? THEN COALESCE(uncertain_since, attempt_started_at)
                                                           ELSE uncertain_since END
                    WHERE id = ?
                    """,
                    [
                        .text(error), .float(next.timeIntervalSince1970), .float(time), .integer(unknown ? 1 : 0),
                        .integer(unknown ? 1 : 0), id,
                    ]
                )
                record = ("retry", status, error)
            case .failed(let status, let error):
                _ = try await connection.query(
                    "UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                    [.text(error), .float(time), id]
                )
                record = ("failed", status, error)
            }
            _ = try await connection.query(
                """
                INSERT INTO job_attempts (job, started_at, finished_at, outcome, status, detail)
                SELECT id, attempt_started_at, ?, ?, ?, ? FROM jobs WHERE id = ?
                """,
                [
                    .float(time), .text(record.outcome), record.status.map { .integer($0) } ?? .null,
                    record.detail.map(SQLiteData.text) ?? .null, id,
                ]
            )
        }
    }

    package func recoverInterrupted(now: Date) async throws -> [PendingJob] {
        let time = now.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            let rows = try await connection.query(SQLiteRows.jobSelect + " WHERE j.state = 'sending' ORDER BY j.id")
            _ = try await connection.query(
                """
                INSERT INTO job_attempts (job, started_at, finished_at, outcome, detail)
                SELECT id, attempt_started_at, ?, 'interrupted', 'the process stopped during the call'
                FROM jobs WHERE state = 'sending'
                """,
                [.float(time)]
            )
            _ = try await connection.query(
                """
                UPDATE jobs SET state = 'pending', next_attempt_at = ?, updated_at = ?, look_first = 1,
                                uncertain_since = COALESCE(uncertain_since, attempt_started_at)
                WHERE state = 'sending'
                """,
                [.float(time), .float(time)]
            )
            return try rows.map(SQLiteRows.pendingJob(from:))
        }
    }

    package func recordedTerrakubeJobIDs(among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await self.batcher.perform { connection in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            let rows = try await connection.query(
                "SELECT terrakube_job_id FROM jobs WHERE terrakube_job_id IN (\(placeholders))",
                ids.map(SQLiteData.text)
            )
            return Set(rows.compactMap { $0.column("terrakube_job_id")?.string })
        }
    }
}
