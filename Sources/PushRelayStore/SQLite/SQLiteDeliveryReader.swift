import Foundation
import Logging
import PushRelayCore
import SQLiteNIO

/// What `deliveries list`, `show` and `export` read, and the queue figures of `/metrics`: a connection of its
/// own that never writes, so reading takes no write lock and never migrates the schema.
package final class SQLiteDeliveryReader: DeliveryInspector, QueueFigures {
    let connection: SQLiteConnection

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens an existing store for reading.
    /// - Throws: ``StoreSchemaMismatch`` unless the schema is this binary's, and SQLite's error when the file
    ///   does not exist.
    package static func open(
        path: String,
        busyTimeout: Duration = .seconds(5),
        logger: Logger
    ) async throws
        -> SQLiteDeliveryReader
    {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreNotFound(path: path) }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA busy_timeout = \(Int(busyTimeout.seconds * 1000))")
            // Refuses every write on this connection, whatever runs on it.
            _ = try await connection.query("PRAGMA query_only = 1")
            let version = try await SQLiteSchema.version(of: connection)
            // What the readers read is the same since the base version; `serve` migrates.
            guard (SQLiteSchema.baseVersion...SQLiteSchema.version).contains(version) else {
                throw StoreSchemaMismatch(found: version, expected: SQLiteSchema.version)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        return SQLiteDeliveryReader(connection: connection)
    }

    package func close() async throws {
        try await self.connection.close()
    }

    package func workCounts() async throws -> [WorkKind: [WorkState: Int]] {
        var counts: [WorkKind: [WorkState: Int]] = [:]
        let rows = try await self.connection.query("SELECT kind, state, COUNT(*) AS n FROM work GROUP BY kind, state")
        for row in rows {
            if let kind = row.column("kind")?.string, let state = row.column("state")?.string.flatMap(WorkState.init) {
                counts[WorkKind(rawValue: kind), default: [:]][state] = row.column("n")?.integer ?? 0
            }
        }
        return counts
    }

    package func oldestUnfinishedWork() async throws -> [WorkKind: Date] {
        let rows = try await self.connection.query(
            "SELECT kind, MIN(queued_at) AS oldest FROM work WHERE state IN ('pending', 'running') GROUP BY kind"
        )
        var oldest: [WorkKind: Date] = [:]
        for row in rows {
            if let kind = row.column("kind")?.string, let at = row.column("oldest")?.double {
                oldest[WorkKind(rawValue: kind)] = Date(timeIntervalSince1970: at)
            }
        }
        return oldest
    }

    package func work(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord] {
        try await SQLiteRows.workRecords(
            self.connection,
            where: "delivery IN (SELECT id FROM deliveries WHERE provider = ? AND delivery_id = ?)",
            [.text(provider.rawValue), .text(deliveryID)]
        )
    }

    package func recentDeliveries(limit: Int) async throws -> [DeliverySummary] {
        let rows = try await self.connection.query(
            SQLiteRows.deliverySelect + " ORDER BY d.received_at DESC, d.id DESC LIMIT ?",
            [.integer(limit)]
        )
        var summaries: [DeliverySummary] = []
        for row in rows {
            summaries.append(try await SQLiteRows.summary(from: row, self.connection))
        }
        return summaries
    }

    package func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery] {
        var sql = SQLiteRows.deliverySelect + " WHERE d.delivery_id = ?"
        var binds: [SQLiteData] = [.text(deliveryID)]
        if let provider {
            sql += " AND d.provider = ?"
            binds.append(.text(provider.rawValue))
        }
        var found: [StoredDelivery] = []
        for row in try await self.connection.query(sql + " ORDER BY d.id", binds) {
            found.append(
                StoredDelivery(
                    summary: try await SQLiteRows.summary(from: row, self.connection),
                    headers: SQLiteRows.headers(from: row),
                    body: SQLiteRows.body(from: row)
                )
            )
        }
        return found
    }
}

/// No store file where the config says it is.
package struct StoreNotFound: Error, CustomStringConvertible {
    package var path: String

    package var description: String {
        "no store at \(self.path): 'pushrelay serve' creates it when it first starts"
    }
}

/// The full store reads through its reader connection.
extension SQLiteDeliveryStore {
    package func workCounts() async throws -> [WorkKind: [WorkState: Int]] { try await self.reader.workCounts() }

    package func oldestUnfinishedWork() async throws -> [WorkKind: Date] {
        try await self.reader.oldestUnfinishedWork()
    }

    package func work(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord] {
        try await self.reader.work(provider: provider, deliveryID: deliveryID)
    }

    package func recentDeliveries(limit: Int) async throws -> [DeliverySummary] {
        try await self.reader.recentDeliveries(limit: limit)
    }

    package func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery] {
        try await self.reader.deliveries(withID: deliveryID, provider: provider)
    }
}
