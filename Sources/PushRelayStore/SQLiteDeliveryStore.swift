import Foundation
import Logging
import NIOCore
import PushRelayCore
import SQLiteNIO

/// The embedded store: one SQLite file in WAL mode with `synchronous = FULL`, so a commit has reached
/// the disk (not just the OS) before `record` returns and the webhook is answered.
package final class SQLiteDeliveryStore: DeliveryStore {
    private let connection: SQLiteConnection
    private let batcher: WriteBatcher
    package let path: String

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.batcher = WriteBatcher(connection: connection)
        self.path = path
    }

    /// Opens (creating the file and its directory if needed) and migrates the store.
    package static func open(path: String, logger: Logger) async throws -> SQLiteDeliveryStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            // WAL: readers never block the writer. FULL: the WAL is synced at every commit, which is what
            // makes "committed" survive a power cut, not only a process crash.
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
            // Replaces SQLiteNIO's retry-forever busy handler: a file locked by another process fails
            // after 5 s, and the webhook gets a 503 instead of hanging.
            _ = try await connection.query("PRAGMA busy_timeout = 5000")
            try await Migrations.run(on: connection)
        } catch {
            try? await connection.close()
            throw error
        }
        return SQLiteDeliveryStore(connection: connection, path: path)
    }

    package func close() async throws {
        try await self.connection.close()
    }

    package func record(_ plan: DeliveryPlan) async throws -> RecordResult {
        let headers = String(
            decoding: try JSONEncoder().encode(plan.headers.map { [$0.name, $0.value] }),
            as: UTF8.self
        )
        let now = plan.receivedAt.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO deliveries (provider, delivery_id, event, received_at, repository, ref, decision, reason,
                                        signature, headers, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (provider, delivery_id) DO NOTHING
                RETURNING id
                """,
                [
                    .text(plan.provider.rawValue), .text(plan.deliveryID), .text(plan.event), .float(now),
                    plan.repository.map(SQLiteData.text) ?? .null, plan.ref.map(SQLiteData.text) ?? .null,
                    .text(plan.decision.rawValue), .text(plan.reason), .text(plan.signature.description),
                    .text(headers), .blob(ByteBuffer(bytes: plan.body)),
                ]
            )
            guard let rowID = inserted.first?.column("id")?.integer else { return RecordResult.duplicate }
            for job in plan.jobs {
                _ = try await connection.query(
                    """
                    INSERT INTO jobs (delivery, organization, workspace, template, override_branch, commit_id, via,
                                      state, attempts, queued_at, next_attempt_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                    """,
                    [
                        .integer(rowID), .text(job.organization), .text(job.workspace), .text(job.template),
                        .text(job.overrideBranch), .text(job.commitID), .text(job.via), .float(now), .float(now),
                        .float(now),
                    ]
                )
            }
            return RecordResult.recorded(Int64(rowID))
        }
    }

    package func claimDueJobs(limit: Int, now: Date) async throws -> [PendingJob] {
        let time = now.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            let rows = try await connection.query(
                Self.pendingJobSelect
                    + " WHERE j.state = 'pending' AND j.next_attempt_at <= ? ORDER BY j.next_attempt_at, j.id LIMIT ?",
                [.float(time), .integer(limit)]
            )
            let jobs = try rows.map(Self.pendingJob(from:))
            for job in jobs {
                _ = try await connection.query(
                    "UPDATE jobs SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
                    [.float(time), .integer(Int(job.id))]
                )
            }
            return jobs
        }
    }

    package func markCreated(jobID: Int64, terrakubeJobID: String, at date: Date) async throws {
        try await self.update(
            "UPDATE jobs SET state = 'created', terrakube_job_id = ?, last_error = NULL, updated_at = ? WHERE id = ?",
            [.text(terrakubeJobID), .float(date.timeIntervalSince1970), .integer(Int(jobID))]
        )
    }

    package func markRetry(jobID: Int64, error: String, nextAttemptAt: Date) async throws {
        try await self.update(
            "UPDATE jobs SET state = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
            [
                .text(error), .float(nextAttemptAt.timeIntervalSince1970), .float(Date().timeIntervalSince1970),
                .integer(Int(jobID)),
            ]
        )
    }

    package func markFailed(jobID: Int64, error: String, at date: Date) async throws {
        try await self.update(
            "UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
            [.text(error), .float(date.timeIntervalSince1970), .integer(Int(jobID))]
        )
    }

    package func recoverInterrupted(now: Date) async throws -> [PendingJob] {
        let time = now.timeIntervalSince1970
        return try await self.batcher.perform { connection in
            let rows = try await connection.query(Self.pendingJobSelect + " WHERE j.state = 'sending' ORDER BY j.id")
            _ = try await connection.query(
                "UPDATE jobs SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'sending'",
                [.float(time), .float(time)]
            )
            return try rows.map(Self.pendingJob(from:))
        }
    }

    package func checkWritable() async throws {
        try await self.update(
            "UPDATE store_health SET checked_at = ? WHERE id = 1",
            [.float(Date().timeIntervalSince1970)]
        )
    }

    package func jobCounts() async throws -> [JobState: Int] {
        try await self.batcher.perform { connection in
            var counts: [JobState: Int] = [:]
            for row in try await connection.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let state = row.column("state")?.string.flatMap(JobState.init(rawValue:)) {
                    counts[state] = row.column("n")?.integer ?? 0
                }
            }
            return counts
        }
    }

    package func jobs(provider: ProviderKind, deliveryID: String) async throws -> [JobRecord] {
        try await self.batcher.perform { connection in
            let rows = try await connection.query(
                Self.pendingJobSelect + " WHERE d.provider = ? AND d.delivery_id = ? ORDER BY j.id",
                [.text(provider.rawValue), .text(deliveryID)]
            )
            return try rows.map { row in
                let job = try Self.pendingJob(from: row)
                guard let state = row.column("state")?.string.flatMap(JobState.init(rawValue:)) else {
                    throw StoreCorruption(column: "state")
                }
                return JobRecord(
                    id: job.id,
                    spec: job.spec,
                    state: state,
                    attempts: job.attempts,
                    lastError: row.column("last_error")?.string,
                    terrakubeJobID: row.column("terrakube_job_id")?.string
                )
            }
        }
    }

    private func update(_ sql: String, _ binds: [SQLiteData]) async throws {
        try await self.batcher.perform { connection in
            _ = try await connection.query(sql, binds)
        }
    }

    private static let pendingJobSelect = """
        SELECT j.id, j.organization, j.workspace, j.template, j.override_branch, j.commit_id, j.via, j.attempts,
               j.queued_at, j.state, j.last_error, j.terrakube_job_id, d.provider, d.delivery_id
        FROM jobs j JOIN deliveries d ON d.id = j.delivery
        """

    private static func pendingJob(from row: SQLiteRow) throws -> PendingJob {
        func text(_ name: String) throws -> String {
            guard let value = row.column(name)?.string else { throw StoreCorruption(column: name) }
            return value
        }
        guard let id = row.column("id")?.integer, let provider = ProviderKind(rawValue: try text("provider")) else {
            throw StoreCorruption(column: "id")
        }
        return PendingJob(
            id: Int64(id),
            spec: JobSpec(
                organization: try text("organization"),
                workspace: try text("workspace"),
                template: try text("template"),
                overrideBranch: try text("override_branch"),
                commitID: try text("commit_id"),
                via: try text("via")
            ),
            attempts: row.column("attempts")?.integer ?? 0,
            provider: provider,
            deliveryID: try text("delivery_id"),
            queuedAt: Date(timeIntervalSince1970: row.column("queued_at")?.double ?? 0)
        )
    }
}

/// A row that does not have the shape the schema promises.
package struct StoreCorruption: Error, CustomStringConvertible {
    package var column: String

    package var description: String { "store row has an unexpected value in column '\(self.column)'" }
}
