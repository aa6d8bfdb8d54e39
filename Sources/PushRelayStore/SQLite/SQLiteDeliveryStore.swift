import Foundation
import Logging
import NIOCore
import NIOPosix
import PushRelayCore
import SQLiteNIO
import ServiceLifecycle
import Synchronization

/// The embedded store: one SQLite file in WAL mode with `synchronous = FULL`, so a commit has reached
/// the disk (not just the OS) before `record` returns and the webhook is answered.
///
/// It serves one process. `serve` opens it with ``Access/serve``, which holds an exclusive lock on a file
/// beside the database for as long as it runs: a second `serve` on the same file is refused with a message,
/// and every lease this process did not hand out belongs to a process that has died, so it is rescued at
/// once rather than when it runs out. Other commands open it with ``Access/write`` (`redeliver`) or read it
/// through ``SQLiteDeliveryReader`` without writing at all.
package final class SQLiteDeliveryStore: DeliveryStore {
    package enum Access: Sendable {
        /// The one `serve` process: takes the serve lock.
        case serve
        /// Writes beside a running `serve` (`deliveries redeliver`, tests).
        case write
    }

    private let connection: SQLiteConnection
    /// A second connection that copies the WAL into the database file while webhooks are committed on the
    /// first: a passive checkpoint waits for no writer and no writer waits for it.
    private let checkpointer: SQLiteConnection
    /// Reads, on a connection that takes no write lock.
    let reader: SQLiteDeliveryReader
    let batcher: WriteBatcher
    /// The database's version at the last checkpoint, to tell whether the next one has anything to do.
    private let lastDataVersion = Mutex<Int?>(nil)
    /// Set while checkpoints fail for lack of space: new deliveries are then refused, because each would
    /// grow the WAL into the room the checkpoint needs, and the disk would fill again however much was
    /// freed. Small writes (jobs' outcomes, leases) go on.
    private let checkpointBlocked = Mutex<StoreDiskFull?>(nil)
    package let path: String
    /// Held while `serve` runs; `nil` for ``Access/write``.
    private let serveLock: SQLiteServeLock?
    var holdsServeLock: Bool { self.serveLock != nil }
    /// The owners this process has claimed jobs for: with the serve lock held, every other owner is dead.
    let liveOwners = Mutex<Set<String>>([])

    /// The writing connection's own thread: its statements and the batcher's task run there (see
    /// ``WriteBatcher``), away from the pool that runs request handlers.
    private let writerThread: NIOThreadPool

    private init(
        connection: SQLiteConnection,
        checkpointer: SQLiteConnection,
        reader: SQLiteDeliveryReader,
        writerThread: NIOThreadPool,
        serveLock: SQLiteServeLock?,
        path: String
    ) {
        self.connection = connection
        self.checkpointer = checkpointer
        self.reader = reader
        self.writerThread = writerThread
        self.serveLock = serveLock
        self.batcher = WriteBatcher(
            connection: connection,
            maxBatch: SQLiteDeliveryStore.maxBatch,
            executor: ThreadPoolTaskExecutor(pool: writerThread),
            bulkRecord: SQLiteDeliveryStore.insert,
            explain: { StoreDiskFull.explaining($0, databasePath: path) }
        )
        self.path = path
    }

    /// Opens the store, creating the file, its directory and its schema if needed.
    /// - Parameter busyTimeout: how long a write waits for a lock held by another process before the
    ///   store reports itself unavailable (and webhooks get 503).
    /// - Throws: ``SQLiteServeLock/Busy`` when another `serve` holds the store (``Access/serve``), and
    ///   ``StoreSchemaMismatch`` when another version's schema is there (a newer PushRelay's, or one from
    ///   before the first release).
    package static func open(
        path: String,
        access: Access = .write,
        busyTimeout: Duration = .seconds(5),
        logger: Logger
    ) async throws
        -> SQLiteDeliveryStore
    {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let lock = access == .serve ? try SQLiteServeLock(databasePath: path) : nil
        let writerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
        do {
            return try await self.open(
                path: path,
                busyTimeout: busyTimeout,
                writerThread: writerThread,
                lock: lock,
                logger: logger
            )
        } catch {
            try? await writerThread.shutdownGracefully()
            lock?.release()
            throw StoreDiskFull.explaining(error, databasePath: path, action: "open the database")
        }
    }

    /// The connections, on `writerThread` for the writing one; the caller stops that thread on failure.
    private static func open(
        path: String,
        busyTimeout: Duration,
        writerThread: NIOThreadPool,
        lock: SQLiteServeLock?,
        logger: Logger
    ) async throws -> SQLiteDeliveryStore {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path),
            threadPool: writerThread,
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any()
        )
        let checkpointer: SQLiteConnection
        let reader: SQLiteDeliveryReader
        do {
            // WAL: readers never block the writer. FULL: the WAL is synced at every commit, which is what
            // makes "committed" survive a power cut, not only a process crash.
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
            // Replaces SQLiteNIO's retry-forever busy handler: a file locked by another process fails
            // after the busy timeout, and the webhook gets a 503 instead of hanging.
            _ = try await connection.query("PRAGMA busy_timeout = \(Int(busyTimeout.seconds * 1000))")
            // Checkpoints come from `maintain()`; the automatic one (in the commit path, where it shows as
            // latency spikes) is kept only as a safety net for a WAL that grows past 16 MB (at 4,000
            // deliveries a second the WAL grows by about 14 MB a second).
            _ = try await connection.query("PRAGMA wal_autocheckpoint = 4000")
            // A WAL that grew past that (a burst, a checkpoint held up by a full disk) is cut back to it
            // when it is next reset, so the space it took is given back to the volume.
            _ = try await connection.query("PRAGMA journal_size_limit = \(16 << 20)")
            try await SQLiteSchema.create(on: connection)
            checkpointer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            do {
                _ = try await checkpointer.query("PRAGMA busy_timeout = \(Int(busyTimeout.seconds * 1000))")
                reader = try await SQLiteDeliveryReader.open(path: path, busyTimeout: busyTimeout, logger: logger)
            } catch {
                try? await checkpointer.close()
                throw error
            }
        } catch {
            try? await connection.close()
            throw error
        }
        return SQLiteDeliveryStore(
            connection: connection,
            checkpointer: checkpointer,
            reader: reader,
            writerThread: writerThread,
            serveLock: lock,
            path: path
        )
    }

    /// Copies the WAL into the database file (a passive checkpoint), off the accept path.
    /// - Returns: whether there was work to do, so that it comes back sooner while the store is busy.
    /// - Throws: ``StoreDiskFull`` while the database cannot grow to take in the WAL; deliveries are
    ///   refused from then until a checkpoint succeeds.
    package func maintain() async throws -> Bool {
        let version: Int?
        do {
            // `data_version` changes when another connection (the writer) has committed since this one
            // last asked.
            version = try await self.checkpointer.query("PRAGMA data_version").first?.column("data_version")?.integer
            _ = try await self.checkpointer.query("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpointBlocked.withLock { $0 = nil }
        } catch {
            let wal = try? FileManager.default.attributesOfItem(atPath: self.path + "-wal")[.size] as? Int
            let explained = StoreDiskFull.explaining(
                error,
                databasePath: self.path,
                action: "copy its WAL into the database (checkpoint)",
                neededBytes: wal
            )
            if let full = explained as? StoreDiskFull { self.checkpointBlocked.withLock { $0 = full } }
            throw explained
        }
        return self.lastDataVersion.withLock { last in
            defer { last = version }
            return version != last
        }
    }

    /// The WAL checkpoints of ``maintain()``, as a service for `serve`'s group.
    package func maintenance(logger: Logger) -> some Service {
        SQLiteMaintenance(store: self, logger: logger)
    }

    package func close() async throws {
        defer { self.serveLock?.release() }
        do {
            try await self.reader.close()
            try await self.checkpointer.close()
            try await self.connection.close()
        } catch {
            try? await self.writerThread.shutdownGracefully()
            throw error
        }
        try await self.writerThread.shutdownGracefully()
    }

    package func record(_ plan: DeliveryPlan) async throws -> RecordResult {
        try self.refuseWhileCheckpointBlocked()
        return try await self.batcher.record(DeliveryRow(plan))
    }

    package func heads(of repository: String) async throws -> RememberedHeads {
        try await self.batcher.perform { connection in
            let baselined = try await connection.query(
                "SELECT 1 FROM head_baselines WHERE repository = ?",
                [.text(repository)]
            )
            let rows = try await connection.query(
                "SELECT ref, head FROM ref_heads WHERE repository = ?",
                [.text(repository)]
            )
            var heads: [String: String] = [:]
            for row in rows {
                guard let ref = row.column("ref")?.string, let head = row.column("head")?.string else {
                    throw StoreCorruption(column: "head")
                }
                heads[ref] = head
            }
            return RememberedHeads(baselined: !baselined.isEmpty, heads: heads)
        }
    }

    package func moveHead(_ key: HeadKey, from expected: String?, to head: String) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        return try await self.batcher.perform(singleStatement: true) { connection in
            let binds: [SQLiteData] = [.text(key.repository), .text(key.ref), .text(head), .float(now)]
            if let expected {
                return try await connection.query(
                    """
                    UPDATE ref_heads SET head = ?3, updated_at = ?4
                    WHERE repository = ?1 AND ref = ?2 AND head = ?5 RETURNING 1
                    """,
                    binds + [.text(expected)]
                ).count == 1
            }
            return try await connection.query(
                """
                INSERT INTO ref_heads (repository, ref, head, updated_at) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (repository, ref) DO NOTHING RETURNING 1
                """,
                binds
            ).count == 1
        }
    }

    package func baseline(_ repository: String, heads: [String: String]) async throws {
        let now = Date().timeIntervalSince1970
        try await self.batcher.perform { connection in
            // A head a webhook told of meanwhile stays: it is as new as the round's, or newer.
            let known = try await Self.heads(
                Set(heads.keys.map { HeadKey(repository: repository, ref: $0) }),
                connection
            )
            var fresh: [HeadKey: String] = [:]
            for (ref, head) in heads where known[HeadKey(repository: repository, ref: ref)] == nil {
                fresh[HeadKey(repository: repository, ref: ref)] = head
            }
            try await Self.remember(fresh, at: now, connection)
            _ = try await connection.query(
                "INSERT INTO head_baselines (repository, taken_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [.text(repository), .float(now)]
            )
        }
    }

    /// Whether a checkpoint is held up by a full disk (see ``checkpointBlocked``).
    private func refuseWhileCheckpointBlocked() throws {
        if let blocked = self.checkpointBlocked.withLock({ $0 }) { throw blocked }
    }

    package func checkWritable(deliveryOf bytes: Int) async throws {
        try self.refuseWhileCheckpointBlocked()
        let now = Date().timeIntervalSince1970
        // Random bytes: pages of zeros might not have to be written out whole.
        try await self.batcher.perform { connection in
            _ = try await connection.query(
                """
                INSERT INTO deliveries (provider, delivery_id, event, received_at, decision, reason, signature,
                                        headers, body)
                VALUES ('write-probe', hex(randomblob(16)), 'probe', ?, 'ignore', 'write probe', 'not checked',
                        '[]', randomblob(?))
                """,
                [.float(now), .integer(bytes)]
            )
            _ = try await connection.query("DELETE FROM deliveries WHERE provider = 'write-probe'")
        }
    }

    /// A real write, committed: what `/readyz` needs to know is that the next webhook can be stored.
    package func checkWritable() async throws {
        try self.refuseWhileCheckpointBlocked()
        let now = Date().timeIntervalSince1970
        try await self.batcher.perform(singleStatement: true) { connection in
            _ = try await connection.query("UPDATE store_health SET checked_at = ? WHERE id = 1", [.float(now)])
        }
    }
}

/// A row that does not have the shape the schema promises.
package struct StoreCorruption: Error, CustomStringConvertible {
    package var column: String

    package var description: String { "store row has an unexpected value in column '\(self.column)'" }
}
