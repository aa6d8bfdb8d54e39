import Foundation
import Logging
import PushRelayCore
import SQLiteNIO
import Synchronization
import Testing

@testable import PushRelayStore

/// The store against a real SQLite file in a temporary folder.
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

    static func plan(_ id: String, jobs: Int = 1, at date: Date = Date()) -> DeliveryPlan {
        DeliveryPlan(
            provider: .github,
            deliveryID: id,
            event: "push",
            receivedAt: date,
            repository: "github.com/acme/infra",
            ref: "refs/heads/main",
            decision: jobs > 0 ? .queue : .ignore,
            reason: "test",
            jobs: (0..<jobs).map {
                JobSpec(
                    organization: "org",
                    workspace: "ws-\($0)",
                    template: "tpl",
                    overrideBranch: "main",
                    commitID: "abc",
                    via: "Github"
                )
            },
            signature: .valid,
            headers: [(name: "X-GitHub-Delivery", value: id)],
            body: Array("{}".utf8)
        )
    }

    @Test func recordsADeliveryWithItsJobsAndRefusesItsIDTwice() async throws {
        try await Self.withStore { store, _ in
            guard case .recorded = try await store.record(Self.plan("d-1", jobs: 2)) else {
                Issue.record("first record was not stored")
                return
            }
            #expect(try await store.record(Self.plan("d-1", jobs: 2)) == .duplicate)
            #expect(try await store.jobCounts() == [.pending: 2])
            let jobs = try await store.jobs(provider: .github, deliveryID: "d-1")
            #expect(jobs.map(\.spec.workspace) == ["ws-0", "ws-1"])
            #expect(jobs.allSatisfy { $0.state == .pending && $0.attempts == 0 })
        }
    }

    @Test func concurrentRecordsAreEachCommittedOnce() async throws {
        try await Self.withStore { store, _ in
            // 200 distinct deliveries plus ten copies of one id, all at once: group commit under contention.
            let results = try await withThrowingTaskGroup(of: RecordResult.self) { group in
                for index in 0..<200 { group.addTask { try await store.record(Self.plan("many-\(index)")) } }
                for _ in 0..<10 { group.addTask { try await store.record(Self.plan("same")) } }
                return try await group.reduce(into: [RecordResult]()) { $0.append($1) }
            }
            #expect(results.filter { $0 == .duplicate }.count == 9)
            #expect(try await store.jobCounts() == [.pending: 201])
        }
    }

    @Test func jobFieldsSurviveTheTriggerByteForByte() async throws {
        // Jobs reach their table through JSON inside SQLite: quotes, escapes, control characters and
        // non-ASCII must come out as they went in.
        try await Self.withStore { store, _ in
            var plan = Self.plan("odd")
            plan.jobs[0].overrideBranch = "feat/\"quoted\"\\back\tslash\u{1}ünï 🚀"
            plan.jobs[0].workspace = "ws [1], {2}"
            _ = try await store.record(plan)
            let jobs = try await store.jobs(provider: .github, deliveryID: "odd")
            #expect(jobs.map(\.spec) == plan.jobs)
        }
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
                        guard case .recorded(let row) = try await store.record(Self.plan("burst-\(index)")) else {
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
                    group.addTask { _ = try await store.record(Self.plan("round-\(round)")) }
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

    @Test func claimingMarksJobsSendingAndCountsTheAttempt() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.record(Self.plan("d-1", jobs: 3))
            let claimed = try await store.claimDueJobs(limit: 2, now: Date())
            #expect(claimed.count == 2)
            #expect(claimed.allSatisfy { $0.attempts == 0 && $0.deliveryID == "d-1" && $0.provider == .github })
            #expect(try await store.jobCounts() == [.pending: 1, .sending: 2])

            try await store.finishAttempt(
                jobID: claimed[0].id,
                outcome: .created(terrakubeJobID: "42", adopted: false),
                at: Date()
            )
            let retry = AttemptOutcome.retry(
                status: 503,
                error: "HTTP 503",
                nextAttemptAt: Date().addingTimeInterval(3600),
                outcomeUnknown: false
            )
            try await store.finishAttempt(jobID: claimed[1].id, outcome: retry, at: Date())
            #expect(try await store.jobCounts() == [.pending: 2, .created: 1])

            // The retried job is not due for an hour: only the untouched one is claimed.
            let next = try await store.claimDueJobs(limit: 10, now: Date())
            #expect(next.map(\.id) == [claimed.last!.id + 1])
            let later = try await store.claimDueJobs(limit: 10, now: Date().addingTimeInterval(7200))
            #expect(later.map(\.id) == [claimed[1].id])
            #expect(later.first?.attempts == 1)
            #expect(later.first?.lookFirst == false)

            let records = try await store.jobs(provider: .github, deliveryID: "d-1")
            #expect(records.first?.terrakubeJobID == "42")
            #expect(records.first?.state == .created)
            #expect(records.first?.history.map(\.outcome) == ["created"])
            #expect(records[1].history.map(\.outcome) == ["retry"])
            #expect(records[1].history.first?.status == 503)
            #expect(try await store.recordedTerrakubeJobIDs(among: ["41", "42"]) == ["42"])
        }
    }

    @Test func interruptedJobsAreReturnedToPending() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.record(Self.plan("d-1", jobs: 2))
            let claimed = try await store.claimDueJobs(limit: 2, now: Date())
            try await store.finishAttempt(
                jobID: claimed[0].id,
                outcome: .failed(status: 400, error: "HTTP 400: bad"),
                at: Date()
            )
            let recovered = try await store.recoverInterrupted(now: Date())
            #expect(recovered.map(\.id) == [claimed[1].id])
            #expect(try await store.jobCounts() == [.pending: 1, .failed: 1])
            let records = try await store.jobs(provider: .github, deliveryID: "d-1")
            #expect(records.first?.lastError == "HTTP 400: bad")
            #expect(records[1].history.map(\.outcome) == ["interrupted"])
            // The interrupted job's next attempt looks in Terrakube first, from when that attempt started.
            let again = try #require(try await store.claimDueJobs(limit: 1, now: Date()).first)
            #expect(again.lookFirst)
            #expect(again.firstUncertainAttemptAt != nil)
            #expect(again.attempts == 1)
        }
    }

    @Test func anUncertainRetryLooksFirstAndRequeueAddsFreshJobs() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.record(Self.plan("d-1", jobs: 1))
            let claimed = try await store.claimDueJobs(limit: 1, now: Date())
            let timeout = AttemptOutcome.retry(
                status: nil,
                error: "timed out",
                nextAttemptAt: Date(),
                outcomeUnknown: true
            )
            try await store.finishAttempt(jobID: claimed[0].id, outcome: timeout, at: Date())
            let retried = try #require(try await store.claimDueJobs(limit: 1, now: Date()).first)
            #expect(retried.lookFirst)
            try await store.finishAttempt(
                jobID: retried.id,
                outcome: .created(terrakubeJobID: "7", adopted: true),
                at: Date()
            )

            #expect(try await store.requeueJobs(provider: .github, deliveryID: "d-1", at: Date()) == 1)
            #expect(try await store.requeueJobs(provider: .github, deliveryID: "nope", at: Date()) == 0)
            let jobs = try await store.jobs(provider: .github, deliveryID: "d-1")
            #expect(jobs.map(\.state) == [.created, .pending])
            #expect(jobs[0].history.map(\.outcome) == ["retry", "adopted"])

            let listed = try await store.recentDeliveries(limit: 10)
            #expect(listed.map(\.deliveryID) == ["d-1"])
            #expect(listed.first?.jobs.count == 2)
            let stored = try await store.deliveries(withID: "d-1", provider: nil)
            #expect(stored.first?.body == Array("{}".utf8))
            #expect(stored.first?.headers.first?.name == "X-GitHub-Delivery")
        }
    }

    @Test func aVersionOneStoreIsMigratedAndKeepsItsDeliveries() async throws {
        // A store from before jobs were written by trigger: schema version 1, one delivery with one job.
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in Migrations.steps[0] { _ = try await old.query(statement) }
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
        #expect(try await store.record(Self.plan("old")) == .duplicate)
        _ = try await store.record(Self.plan("new", jobs: 2))
        #expect(try await store.jobCounts() == [.pending: 3])
        #expect(try await store.jobs(provider: .github, deliveryID: "old").map(\.spec.workspace) == ["ws-old"])
        #expect(try await store.jobs(provider: .github, deliveryID: "new").map(\.spec.workspace) == ["ws-0", "ws-1"])
        try await store.close()
    }

    @Test func maintenanceReportsWorkOnlyAfterWrites() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.maintain()
            #expect(try await store.maintain() == false, "nothing written since the last checkpoint")
            _ = try await store.record(Self.plan("d-1"))
            #expect(try await store.maintain() == true)
            #expect(try await store.maintain() == false)
            _ = try await store.record(Self.plan("d-2"))
            #expect(try await store.maintain() == true)
        }
    }

    @Test func dataSurvivesReopeningAndMigrationsRunOnce() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let first = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        _ = try await first.record(Self.plan("d-1"))
        try await first.close()
        let second = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await second.record(Self.plan("d-1")) == .duplicate)
        #expect(try await second.jobCounts() == [.pending: 1])
        try await second.checkWritable()
        try await second.close()
    }
}

/// Numbers callers in the order they are answered.
private final class FinishCounter: Sendable {
    private let count = Atomic(0)

    func next() -> Int { self.count.add(1, ordering: .relaxed).newValue }
}
