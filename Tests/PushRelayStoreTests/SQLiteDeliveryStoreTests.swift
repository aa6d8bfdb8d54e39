import Foundation
import Logging
import PushRelayCore
import PushRelayTestSupport
import SQLiteNIO
import Synchronization
import Testing

@testable import PushRelayStore

/// What is SQLite's own (group commit, migrations, checkpoints, the serve lock), against a real file in a
/// temporary folder; the behaviour both stores share is in ``StoreContractTests``.
struct SQLiteDeliveryStoreTests {
    static func withStore(_ body: (SQLiteDeliveryStore, String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/data/store.sqlite"
        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        do {
            try await body(store, path)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    @Test func eachDeliveryIsAnsweredWhenItsOwnBatchCommits() async throws {
        try await Self.withStore { store, _ in
            // 1,000 deliveries at once take several group commits. Rows are numbered in commit order; each
            // caller must be answered when its own batch commits, not when the queue is empty (the caller
            // that found the batcher idle once drained every later batch before it returned).
            let finished = FinishCounter()
            let answers = try await withThrowingTaskGroup(of: (row: Int64, rank: Int)?.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        guard let row = try await store.record(StorePlans.plan("burst-\(index)")).id else {
                            return nil
                        }
                        return (row, finished.next())
                    }
                }
                return try await group.reduce(into: [(row: Int64, rank: Int)]()) {
                    if let answer = $1 { $0.append(answer) }
                }
            }
            #expect(answers.count == 1000)
            // Two batches' worth of slack for the order in which answered callers resume.
            let late = answers.filter { $0.rank - Int($0.row) > 2 * 256 }
            #expect(late.isEmpty, "answered long after their batch committed: \(late.prefix(5))")
        }
    }

    @Test func anOperationThatFailsIsRolledBackAloneWhateverItsBatch() async throws {
        // Rounds of concurrent work, so that operations run alone, several to a transaction, and beside
        // deliveries: a failing one leaves nothing behind, the others and the deliveries are kept.
        try await Self.withStore { store, _ in
            let batcher = store.batcher
            for round in 0..<20 {
                let base = 10 + round * 10
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // Two statements, the second fails: the first must not survive.
                        await #expect(throws: (any Error).self) {
                            try await batcher.perform { connection in
                                _ = try await connection.query(
                                    "INSERT INTO store_health (id, checked_at) VALUES (?, 0)",
                                    [.integer(base)]
                                )
                                _ = try await connection.query("SELECT * FROM no_such_table")
                            }
                        }
                    }
                    group.addTask {
                        // One statement that fails: the primary key is taken.
                        await #expect(throws: (any Error).self) {
                            try await batcher.perform(singleStatement: true) { connection in
                                _ = try await connection.query(
                                    "INSERT INTO store_health (id, checked_at) VALUES (1, 0)"
                                )
                            }
                        }
                    }
                    group.addTask {
                        try await batcher.perform { connection in
                            for id in [base + 1, base + 2] {
                                _ = try await connection.query(
                                    "INSERT INTO store_health (id, checked_at) VALUES (?, 0)",
                                    [.integer(id)]
                                )
                            }
                        }
                    }
                    group.addTask {
                        try await batcher.perform(singleStatement: true) { connection in
                            _ = try await connection.query(
                                "INSERT INTO store_health (id, checked_at) VALUES (?, 0)",
                                [.integer(base + 3)]
                            )
                        }
                    }
                    group.addTask { _ = try await store.record(StorePlans.plan("round-\(round)")) }
                    try await group.waitForAll()
                }
            }
            let ids = try await batcher.perform(singleStatement: true) { connection in
                try await connection.query("SELECT id FROM store_health ORDER BY id").compactMap {
                    $0.column("id")?.integer
                }
            }
            let kept: [Int] = (0..<20).flatMap { round -> [Int] in [11, 12, 13].map { round * 10 + $0 } }
            #expect(ids == [1] + kept)
            #expect(try await store.testJobCounts() == [.pending: 20])
        }
    }

    /// A store of the first released schema (6) is brought up to date when `serve` opens it, its deliveries
    /// and work kept; work no delivery brought can then be queued.
    @Test func aStoreOfTheFirstReleaseIsMigratedWithItsWork() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in SQLiteSchema.tables { _ = try await old.query(statement) }
        _ = try await old.query("PRAGMA user_version = 6")
        _ = try await old.query(
            """
            INSERT INTO deliveries (id, provider, delivery_id, event, received_at, decision, reason, signature,
                                    headers, body)
            VALUES (1, 'github', 'old-1', 'push', 0, 'queue', 'matched', 'valid', '[]', x'')
            """
        )
        _ = try await old.query(
            """
            INSERT INTO work (delivery, kind, payload, state, queued_at, next_attempt_at, updated_at)
            VALUES (1, 'test.job', x'7b7d', 'pending', 0, 0, 0)
            """
        )
        try await old.close()
        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await store.work(provider: .github, deliveryID: "old-1").map(\.payload) == [Array("{}".utf8)])
        try await store.enqueue([NewWork(kind: "test.round", payload: [1], key: "github.com/acme/infra")])
        let claimed = try await store.claim(owner: "o", kinds: ["test.round"], limit: 5, lease: .seconds(30))
        #expect(claimed.map(\.provider) == [nil])
        #expect(claimed.map(\.deliveryID) == [""])
        try await store.close()
        let after = try await SQLiteConnection.open(storage: .file(path: path))
        #expect(try await SQLiteSchema.version(of: after) == SQLiteSchema.version)
        try await after.close()
    }

    /// A plan comment of schema 8's own table is kept when its rows move into the documents of schema 9: the
    /// comment is still edited, not posted again.
    @Test func aPlanCommentOfSchemaEightIsKeptAsADocument() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in SQLiteSchema.tables + SQLiteSchema.migrations[0...1].joined() {
            _ = try await old.query(statement)
        }
        _ = try await old.query("PRAGMA user_version = 8")
        let comment = StoredPlanComment(head: "abc", planned: Date(timeIntervalSince1970: 5), reference: "42")
        let text = String(decoding: try JSONEncoder().encode(comment), as: UTF8.self)
        _ = try await old.query(
            "INSERT INTO plan_comments VALUES ('github.com/acme/infra', 7, 3, ?1, 0)",
            [.text(text)]
        )
        try await old.close()
        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        let pull = PullRequestID(repository: "github.com/acme/infra", number: 7)
        let stored = try #require(try await store.planComment(pull))
        #expect(stored.comment == comment)
        #expect(stored.version == 3)
        try await store.close()
    }

    /// A store written by a build before the first release (a development schema) is refused with the way
    /// out, and left as it was.
    @Test func aStoreFromBeforeTheFirstReleaseIsRefusedAndLeftAlone() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await old.query("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
        _ = try await old.query("PRAGMA user_version = 5")
        try await old.close()
        for open in [
            { _ = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test")) },
            { _ = try await SQLiteDeliveryReader.open(path: path, logger: Logger(label: "test")) },
        ] as [@Sendable () async throws -> Void] {
            let error = await #expect(throws: StoreSchemaMismatch.self) { try await open() }
            #expect(
                error?.description.contains("version 5, from a build before this PushRelay's (\(SQLiteSchema.version))")
                    == true
            )
            #expect(error?.description.contains("start a new store") == true)
            #expect(error?.description.contains("'pushrelay deliveries export'") == true)
        }
        let after = try await SQLiteConnection.open(storage: .file(path: path))
        #expect(try await SQLiteSchema.version(of: after) == 5)
        #expect(try await after.query("SELECT name FROM sqlite_master WHERE name = 'work'").isEmpty)
        try await after.close()
    }

    @Test func maintenanceReportsWorkOnlyAfterWrites() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.maintain()
            #expect(try await store.maintain() == false, "nothing written since the last checkpoint")
            _ = try await store.record(StorePlans.plan("d-1"))
            #expect(try await store.maintain() == true)
            #expect(try await store.maintain() == false)
            _ = try await store.record(StorePlans.plan("d-2"))
            #expect(try await store.maintain() == true)
        }
    }

    @Test func dataSurvivesReopeningAndTheSchemaIsCreatedOnce() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let first = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        _ = try await first.record(StorePlans.plan("d-1"))
        try await first.close()
        let second = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await second.record(StorePlans.plan("d-1")) == .duplicate)
        #expect(try await second.testJobCounts() == [.pending: 1])
        try await second.checkWritable()
        try await second.close()
    }
    @Test func aSecondServeIsRefusedAndAServeRescuesADeadProcessesJobsAtOnce() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        // A process that claimed with a long lease and died (closed without finishing).
        let dead = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        _ = try await dead.record(StorePlans.plan("d-1", jobs: 2))
        #expect(try await dead.claimJobs(owner: "dead", limit: 2, lease: .seconds(3600)).count == 2)
        try await dead.close()

        let serve = try await SQLiteDeliveryStore.open(path: path, access: .serve, logger: Logger(label: "test"))
        await #expect(throws: SQLiteServeLock.Busy.self) {
            try await SQLiteDeliveryStore.open(path: path, access: .serve, logger: Logger(label: "test"))
        }
        // Holding the serve lock, every lease it did not hand out is a dead process's: rescued now, not in an
        // hour, also before this process has claimed anything.
        #expect(try await serve.rescueExpiredLeases() == 2)
        let resumed = try await serve.claimJobs(owner: "alive", limit: 5, lease: .seconds(3600))
        #expect(resumed.count == 2 && resumed.allSatisfy(\.uncertain))
        // Its own live claims are left alone.
        #expect(try await serve.rescueExpiredLeases() == 0)
        try await serve.close()

        // Closed, the store takes the next serve. (Retried briefly: a process another test starts holds a copy
        // of the lock's descriptor, close-on-exec, from its fork to its exec; the lock is free again after.)
        let reopened = await eventually(within: .seconds(5)) {
            guard
                let again = try? await SQLiteDeliveryStore.open(
                    path: path,
                    access: .serve,
                    logger: Logger(label: "test")
                )
            else { return false }
            try? await again.close()
            return true
        }
        #expect(reopened)
    }

    @Test func theReaderNeitherCreatesTheSchemaNorWrites() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        await #expect(throws: StoreNotFound.self) {
            try await SQLiteDeliveryReader.open(path: path, logger: Logger(label: "test"))
        }

        // An empty file: the reader does not create the schema, serve does.
        try await SQLiteConnection.open(storage: .file(path: path)).close()
        let error = await #expect(throws: StoreSchemaMismatch.self) {
            try await SQLiteDeliveryReader.open(path: path, logger: Logger(label: "test"))
        }
        #expect(error?.description.contains("'pushrelay serve' creates it") == true)

        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        _ = try await store.record(StorePlans.plan("d-1"))
        // A write lock held by a writer does not stop the reader.
        try await store.batcher.perform { connection in
            _ = try await connection.query("UPDATE store_health SET checked_at = 1 WHERE id = 1")
            let reader = try await SQLiteDeliveryReader.open(path: path, logger: Logger(label: "test"))
            #expect(try await reader.recentDeliveries(limit: 5).map(\.deliveryID) == ["d-1"])
            await #expect(throws: (any Error).self) {
                _ = try await reader.connection.query("DELETE FROM deliveries")
            }
            try await reader.close()
        }
        try await store.close()
    }

    @Test func aNewerSchemaIsRefused() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let future = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await future.query("PRAGMA user_version = 99")
        try await future.close()
        let error = await #expect(throws: StoreSchemaMismatch.self) {
            try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        }
        #expect(error?.description.contains("newer than this PushRelay") == true)
    }
}

/// Numbers callers in the order they are answered.
private final class FinishCounter: Sendable {
    private let count = Atomic(0)

    func next() -> Int { self.count.add(1, ordering: .relaxed).newValue }
}
