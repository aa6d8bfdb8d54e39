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

    @Test func jobsWrittenBeforeTheQueueHadKindsAreItsWorkAfterTheMigration() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/store.sqlite"
        // The schema as the release before kinds left it (version 3), with a job in each state.
        let old = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        for step in SQLiteMigrations.steps.prefix(3) {
            for statement in step { _ = try await old.query(statement) }
        }
        let statements = [
            """
            INSERT INTO deliveries (id, provider, delivery_id, event, received_at, decision, reason, signature,
                                    headers, body)
            VALUES (1, 'github', 'old-1', 'push', 1000, 'queue', 'matched', 'valid', '[]', x'7b7d')
            """,
            """
            INSERT INTO jobs (id, delivery, organization, workspace, template, override_branch, commit_id, via, state,
                              attempts, queued_at, next_attempt_at, updated_at, terrakube_job_id, look_first,
                              owner, lease_until, fence)
            VALUES (1, 1, 'org', 'ws-a', 'tpl', 'main', 'abc', 'Github', 'created', 1, 1000, 1000, 1001, '42', 0,
                    NULL, NULL, 1),
                   (2, 1, 'org', 'ws-b', 'tpl', 'main', 'abc', 'Github', 'sending', 2, 1000, 1000, 1001, NULL, 1,
                    'gone', 1002, 2),
                   (3, 1, 'org', 'ws-c', 'tpl', 'main', 'abc', 'Github', 'pending', 0, 1000, 1000, 1000, NULL, 0,
                    NULL, NULL, 0)
            """,
            """
            INSERT INTO job_attempts (job, started_at, finished_at, outcome, status, detail)
            VALUES (1, 1000, 1001, 'created', NULL, 'Terrakube job 42'), (2, 1000, 1001, 'retry', 503, 'HTTP 503')
            """,
            "PRAGMA user_version = 3",
        ]
        for statement in statements { _ = try await old.query(statement) }
        try await old.close()

        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        let work = try await store.work(provider: .github, deliveryID: "old-1")
        let rescued = try await store.rescueExpiredLeases()
        try await store.close()
        #expect(work.map(\.kind) == [.createTerrakubeJob, .createTerrakubeJob, .createTerrakubeJob])
        #expect(work.map(\.state) == [.done, .running, .pending])
        #expect(work.map(\.spec.workspace) == ["ws-a", "ws-b", "ws-c"])
        #expect(
            work[0].spec
                == JobSpec(
                    organization: "org",
                    workspace: "ws-a",
                    template: "tpl",
                    overrideBranch: "main",
                    commitID: "abc",
                    via: "Github"
                )
        )
        #expect(work.map(\.result) == ["42", nil, nil])
        #expect(work[0].history.map(\.outcome) == ["created"])
        #expect(work[1].history.map(\.status) == [503])
        // The job that was being sent, its lease long gone, is taken over and looked up before it is resent.
        #expect(rescued == 1)
        let reopened = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        let claimed = try await reopened.claim(owner: "new", limit: 10, lease: .seconds(30))
        try await reopened.close()
        #expect(claimed.map(\.id).sorted() == [2, 3])
        #expect(claimed.first { $0.id == 2 }?.uncertain == true)
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
                        guard case .recorded(let row) = try await store.record(StorePlans.plan("burst-\(index)")) else {
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
            #expect(try await store.jobCounts() == [.pending: 20])
        }
    }

    @Test func aVersionOneStoreIsMigratedAndKeepsItsDeliveries() async throws {
        // A store from before jobs were written by trigger: schema version 1, one delivery with one job.
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in SQLiteMigrations.steps[0] { _ = try await old.query(statement) }
        _ = try await old.query("PRAGMA user_version = 1")
        _ = try await old.query(
            """
            INSERT INTO deliveries (provider, delivery_id, event, received_at, decision, reason, signature, headers, body)
            VALUES ('github', 'old', 'push', 0, 'queue', 'test', 'valid', '[]', x'7b7d')
            """
        )
        _ = try await old.query(
            """
            INSERT INTO jobs (delivery, organization, workspace, template, override_branch, commit_id, via, state,
                              queued_at, next_attempt_at, updated_at)
            VALUES (1, 'org', 'ws-old', 'tpl', 'main', 'abc', 'Github', 'pending', 0, 0, 0)
            """
        )
        try await old.close()

        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await store.record(StorePlans.plan("old")) == .duplicate)
        _ = try await store.record(StorePlans.plan("new", jobs: 2))
        #expect(try await store.jobCounts() == [.pending: 3])
        #expect(try await store.jobs(provider: .github, deliveryID: "old").map(\.spec.workspace) == ["ws-old"])
        #expect(try await store.jobs(provider: .github, deliveryID: "new").map(\.spec.workspace) == ["ws-0", "ws-1"])
        try await store.close()
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

    @Test func dataSurvivesReopeningAndMigrationsRunOnce() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let first = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        _ = try await first.record(StorePlans.plan("d-1"))
        try await first.close()
        let second = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await second.record(StorePlans.plan("d-1")) == .duplicate)
        #expect(try await second.jobCounts() == [.pending: 1])
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
        #expect(try await dead.claim(owner: "dead", limit: 2, lease: .seconds(3600)).count == 2)
        try await dead.close()

        let serve = try await SQLiteDeliveryStore.open(path: path, access: .serve, logger: Logger(label: "test"))
        await #expect(throws: SQLiteServeLock.Busy.self) {
            try await SQLiteDeliveryStore.open(path: path, access: .serve, logger: Logger(label: "test"))
        }
        // Holding the serve lock, every lease it did not hand out is a dead process's: rescued now, not in an
        // hour, also before this process has claimed anything.
        #expect(try await serve.rescueExpiredLeases() == 2)
        let resumed = try await serve.claim(owner: "alive", limit: 5, lease: .seconds(3600))
        #expect(resumed.count == 2 && resumed.allSatisfy(\.uncertain))
        // Its own live claims are left alone.
        #expect(try await serve.rescueExpiredLeases() == 0)
        try await serve.close()

        let again = try await SQLiteDeliveryStore.open(path: path, access: .serve, logger: Logger(label: "test"))
        try await again.close()
    }

    @Test func theReaderNeitherMigratesNorWrites() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        await #expect(throws: StoreNotFound.self) {
            try await SQLiteDeliveryReader.open(path: path, logger: Logger(label: "test"))
        }

        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in SQLiteMigrations.steps[0] { _ = try await old.query(statement) }
        _ = try await old.query("PRAGMA user_version = 1")
        try await old.close()
        let error = await #expect(throws: StoreSchemaMismatch.self) {
            try await SQLiteDeliveryReader.open(path: path, logger: Logger(label: "test"))
        }
        #expect(error?.description.contains("start 'pushrelay serve' once") == true)

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
