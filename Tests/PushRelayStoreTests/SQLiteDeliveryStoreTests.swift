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

            try await store.markCreated(jobID: claimed[0].id, terrakubeJobID: "42", at: Date())
            try await store.markRetry(
                jobID: claimed[1].id,
                error: "HTTP 503",
                nextAttemptAt: Date().addingTimeInterval(3600)
            )
            #expect(try await store.jobCounts() == [.pending: 2, .created: 1])

            // The retried job is not due for an hour: only the untouched one is claimed.
            let next = try await store.claimDueJobs(limit: 10, now: Date())
            #expect(next.map(\.id) == [claimed.last!.id + 1])
            let later = try await store.claimDueJobs(limit: 10, now: Date().addingTimeInterval(7200))
            #expect(later.map(\.id) == [claimed[1].id])
            #expect(later.first?.attempts == 1)

            let records = try await store.jobs(provider: .github, deliveryID: "d-1")
            #expect(records.first?.terrakubeJobID == "42")
            #expect(records.first?.state == .created)
        }
    }

    @Test func interruptedJobsAreReturnedToPending() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.record(Self.plan("d-1", jobs: 2))
            let claimed = try await store.claimDueJobs(limit: 2, now: Date())
            try await store.markFailed(jobID: claimed[0].id, error: "HTTP 400: bad", at: Date())
            let recovered = try await store.recoverInterrupted(now: Date())
            #expect(recovered.map(\.id) == [claimed[1].id])
            #expect(try await store.jobCounts() == [.pending: 1, .failed: 1])
            #expect(try await store.jobs(provider: .github, deliveryID: "d-1").first?.lastError == "HTTP 400: bad")
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
