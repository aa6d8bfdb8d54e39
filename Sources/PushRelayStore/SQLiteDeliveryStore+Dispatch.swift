import Foundation
import PushRelayCore
import SQLiteNIO

/// The dispatcher's side of the store: claiming jobs and recording how each attempt ended.
extension SQLiteDeliveryStore {
    package func claimDueJobs(limit: Int, now: Date) async throws -> [PendingJob] {
        let time = now.timeIntervalSince1970
        // One statement, whatever the limit: each statement is a hop to SQLite's thread, and a single one
        // needs no transaction of its own. The delivery's provider and id come from subqueries, which
        // RETURNING allows where it does not allow a join.
        let rows = try await self.batcher.perform(singleStatement: true) { connection in
            try await connection.query(
                """
                UPDATE jobs SET state = 'sending', attempts = attempts + 1, attempt_started_at = ?1, updated_at = ?1
                WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND next_attempt_at <= ?1
                             ORDER BY next_attempt_at, id LIMIT ?2)
                RETURNING id, organization, workspace, template, override_branch, commit_id, via, queued_at,
                          look_first, uncertain_since, next_attempt_at,
                          attempts - 1 AS attempts,  -- the attempts made before this claim, as the dispatcher counts
                          (SELECT provider FROM deliveries WHERE deliveries.id = jobs.delivery) AS provider,
                          (SELECT delivery_id FROM deliveries WHERE deliveries.id = jobs.delivery) AS delivery_id
                """,
                [.float(time), .integer(limit)]
            )
        }
        // RETURNING gives no order; the dispatcher starts the longest-due first.
        let due = rows.sorted {
            let (left, right) = ($0.column("next_attempt_at")?.double ?? 0, $1.column("next_attempt_at")?.double ?? 0)
            return left != right ? left < right : ($0.column("id")?.integer ?? 0) < ($1.column("id")?.integer ?? 0)
        }
        return try due.map(SQLiteRows.pendingJob(from:))
    }

    package func finishAttempt(jobID: Int64, outcome: AttemptOutcome, at date: Date) async throws {
        let time = SQLiteData.float(date.timeIntervalSince1970)
        let id = SQLiteData.integer(Int(jobID))
        let sql: String
        let binds: [SQLiteData]
        // One statement per outcome; the trigger `jobs_attempt_history` appends the attempt to the history.
        switch outcome {
        case .created(let terrakubeJobID, let adopted):
            sql = """
                UPDATE jobs SET state = 'created', terrakube_job_id = ?, last_error = NULL, look_first = 0,
                                updated_at = ?, last_outcome = ?, last_status = NULL, last_detail = ?
                WHERE id = ?
                """
            binds = [
                .text(terrakubeJobID), time, .text(adopted ? "adopted" : "created"),
                .text("Terrakube job \(terrakubeJobID)"),
                id,
            ]
        case .retry(let status, let error, let next, let unknown):
            sql = """
                UPDATE jobs SET state = 'pending', last_error = ?1, next_attempt_at = ?2, updated_at = ?3,
                                look_first = (look_first OR ?4),
                                uncertain_since = CASE WHEN ?4 THEN COALESCE(uncertain_since, attempt_started_at)
                                                       ELSE uncertain_since END,
                                last_outcome = 'retry', last_status = ?5, last_detail = ?1
                WHERE id = ?6
                """
            binds = [
                .text(error), .float(next.timeIntervalSince1970), time, .integer(unknown ? 1 : 0),
                status.map { .integer($0) } ?? .null, id,
            ]
        case .failed(let status, let error):
            sql = """
                UPDATE jobs SET state = 'failed', last_error = ?1, updated_at = ?2,
                                last_outcome = 'failed', last_status = ?3, last_detail = ?1
                WHERE id = ?4
                """
            binds = [.text(error), time, status.map { .integer($0) } ?? .null, id]
        }
        try await self.batcher.perform(singleStatement: true) { connection in
            _ = try await connection.query(sql, binds)
        }
    }

    package func recoverInterrupted(now: Date) async throws -> [PendingJob] {
        let time = now.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            let rows = try await connection.query(SQLiteRows.jobSelect + " WHERE j.state = 'sending' ORDER BY j.id")
            _ = try await connection.query(
                """
                UPDATE jobs SET state = 'pending', next_attempt_at = ?, updated_at = ?, look_first = 1,
                                uncertain_since = COALESCE(uncertain_since, attempt_started_at),
                                last_outcome = 'interrupted', last_status = NULL,
                                last_detail = 'the process stopped during the call'
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
