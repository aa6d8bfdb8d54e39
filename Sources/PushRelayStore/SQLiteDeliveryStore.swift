import Foundation
import Logging
import NIOCore
import PushRelayCore
import SQLiteNIO

/// The embedded store: one SQLite file in WAL mode with `synchronous = FULL`, so a commit has reached
/// the disk (not just the OS) before `record` returns and the webhook is answered.
package final class SQLiteDeliveryStore: DeliveryStore {
    private let connection: SQLiteConnection
    let batcher: WriteBatcher
    package let path: String

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.batcher = WriteBatcher(connection: connection)
        self.path = path
    }

    /// Opens (creating the file and its directory if needed) and migrates the store.
    /// - Parameter busyTimeout: how long a write waits for a lock held by another process before the
    ///   store reports itself unavailable (and webhooks get 503).
    package static func open(
        path: String,
        busyTimeout: Duration = .seconds(5),
        logger: Logger
    ) async throws
        -> SQLiteDeliveryStore
    {
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
            // after the busy timeout, and the webhook gets a 503 instead of hanging.
            _ = try await connection.query("PRAGMA busy_timeout = \(Int(busyTimeout.seconds * 1000))")
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

    package func checkWritable() async throws {
        try await self.update(
            "UPDATE store_health SET checked_at = ? WHERE id = 1",
            [.float(Date().timeIntervalSince1970)]
        )
    }

    func update(_ sql: String, _ binds: [SQLiteData]) async throws {
        try await self.batcher.perform { connection in
            _ = try await connection.query(sql, binds)
        }
    }
}

/// A row that does not have the shape the schema promises.
package struct StoreCorruption: Error, CustomStringConvertible {
    package var column: String

    package var description: String { "store row has an unexpected value in column '\(self.column)'" }
}
