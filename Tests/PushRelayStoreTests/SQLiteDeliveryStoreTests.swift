import Foundation
import Logging
import PushRelayCore
import PushRelayStore
import Testing

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
