import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

@testable import PushRelayStore

/// The store contracts, run against every backend: what `serve` relies on, whichever store it has, with
/// the reference store in memory (``InMemoryDeliveryStore``) giving the answers the SQL stores must give.
/// Two instances on one database stand for two processes sharing it.
@Suite(.serialized)
struct StoreContractTests {
    private static let owner = "test-owner"
    private static let lease = Duration.seconds(60)

    @Test(arguments: StoreBackend.available)
    func deliveriesAreDedupedUnderConcurrencyAcrossInstances(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            // 200 distinct deliveries plus ten copies of one id, all at once, spread over both instances.
            let results = try await withThrowingTaskGroup(of: RecordResult.self) { group in
                for index in 0..<200 {
                    let store = stores[index % 2]
                    group.addTask { try await store.record(StorePlans.plan("many-\(index)")) }
                }
                for index in 0..<10 {
                    let store = stores[index % 2]
                    group.addTask { try await store.record(StorePlans.plan("same", jobs: 2)) }
                }
                return try await group.reduce(into: [RecordResult]()) { $0.append($1) }
            }
            #expect(results.filter { $0 == .duplicate }.count == 9)
            #expect(try await stores[0].testJobCounts() == [.pending: 202])
            #expect(
                try await stores[1].testJobs(provider: .github, deliveryID: "same").map(\.job?.workspace) == [
                    "ws-0", "ws-1",
                ]
            )
        }
    }

    @Test(arguments: StoreBackend.available)
    func deliveriesWrittenTogetherKeepTheirOwnJobsAndFields(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            // Enough at once that the stores write them in groups: each delivery must still own exactly its
            // jobs (0 to 3 of them, named after it), and a missing repository or ref stays missing.
            let plans = (0..<120).map { index in
                let jobs = StorePlans.jobs(index % 4, branch: "branch-\(index)")
                var plan = StorePlans.plan("group-\(index)", jobs: jobs)
                if index % 5 == 0 { plan.record.repository = nil }
                if index % 7 == 0 { plan.record.ref = nil }
                return plan
            }
            let store = stores[0]
            let results = try await withThrowingTaskGroup(of: RecordResult.self) { group in
                for plan in plans + plans.prefix(10) { group.addTask { try await store.record(plan) } }
                return try await group.reduce(into: [RecordResult]()) { $0.append($1) }
            }
            #expect(results.filter { $0 == .duplicate }.count == 10)
            for (index, plan) in plans.enumerated() {
                let id = plan.record.deliveryID
                let jobs = try await store.testJobs(provider: .github, deliveryID: id)
                #expect(jobs.map(\.job) == plan.jobs, "delivery \(index)")
                let stored = try #require(try await store.deliveries(withID: id, provider: .github).first)
                #expect(stored.summary.repository == plan.record.repository, "delivery \(index)")
                #expect(stored.summary.ref == plan.record.ref, "delivery \(index)")
            }
            #expect(try await store.testJobCounts() == [.pending: plans.map(\.jobs.count).reduce(0, +)])
        }
    }

    @Test(arguments: StoreBackend.available)
    func claimsAreExclusiveAcrossInstances(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            for index in 0..<10 { _ = try await stores[0].record(StorePlans.plan("d-\(index)", jobs: 5)) }
            // Both instances claim at once, four claimers each, until the queue is empty.
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for claimer in 0..<8 {
                    let store = stores[claimer % 2]
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let jobs = try await store.claimJobs(owner: "owner-\(claimer)", limit: 3, lease: Self.lease)
                            if jobs.isEmpty { return mine }
                            mine += jobs.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claimed.count == 50)
            #expect(Set(claimed).count == 50, "a job was claimed twice")
            #expect(try await stores[1].testJobCounts() == [.running: 50])
        }
    }

    @Test(arguments: StoreBackend.available)
    func anAttemptMovesItsJobOnAndIsListedInItsHistory(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1", jobs: 3))
            let claimed = try await store.claimJobs(owner: Self.owner, limit: 2, lease: Self.lease)
            #expect(claimed.count == 2)
            #expect(claimed.allSatisfy { $0.attempts == 0 && $0.deliveryID == "d-1" && $0.provider == .github })
            #expect(try await store.testJobCounts() == [.pending: 1, .running: 2])

            #expect(try await store.finish(claimed[0], outcome: TestOutcome.done("42")))
            let later = WorkOutcome.retry(
                status: 503,
                error: "HTTP 503",
                after: .seconds(3600),
                outcomeUnknown: false
            )
            #expect(try await store.finish(claimed[1], outcome: later))
            #expect(try await store.testJobCounts() == [.pending: 2, .done: 1])

            // The retried job is not due for an hour: only the untouched one is claimed.
            let next = try await store.claimJobs(owner: Self.owner, limit: 10, lease: Self.lease)
            #expect(next.map(\.id) == [claimed[1].id + 1])

            let records = try await store.testJobs(provider: .github, deliveryID: "d-1")
            #expect(records[0].terrakubeJobID == "42")
            #expect(records[0].state == .done)
            #expect(records[0].history.map(\.outcome) == ["created"])
            #expect(records[0].history.first?.detail == "result 42")
            #expect(records[1].history.map(\.outcome) == ["retry"])
            #expect(records[1].history.first?.status == 503)
            #expect(records[1].lastError == "HTTP 503")
            #expect(records[1].attempts == 1)
            #expect(try await store.recordedResults(of: .testJob, among: ["41", "42"]) == ["42"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRetryIsDueAfterItsDelayAndAnUncertainOneLooksFirst(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1"))
            let first = try #require(try await store.claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            #expect(!first.uncertain)
            let timeout = WorkOutcome.retry(status: nil, error: "timed out", after: .zero, outcomeUnknown: true)
            #expect(try await store.finish(first, outcome: timeout))
            let second = try #require(try await store.claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            #expect(second.id == first.id)
            #expect(second.attempts == 1)
            #expect(second.uncertain)
            let uncertainSince = try #require(second.uncertainSince)
            #expect(abs(uncertainSince.timeIntervalSinceNow) < 60)

            // A known failure after it keeps the job looking first: the uncertain attempt still happened.
            let refused = WorkOutcome.retry(status: 503, error: "HTTP 503", after: .zero, outcomeUnknown: false)
            #expect(try await store.finish(second, outcome: refused))
            let third = try #require(try await store.claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            #expect(third.uncertain)
            #expect(third.uncertainSince == second.uncertainSince)
            #expect(try await store.finish(third, outcome: TestOutcome.done("7", label: .adopted)))
            let record = try #require(try await store.testJobs(provider: .github, deliveryID: "d-1").first)
            #expect(record.history.map(\.outcome) == ["retry", "retry", "adopted"])
            #expect(record.lastError == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func anExpiredLeaseIsRescuedIntoTheCrashWindowPath(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            _ = try await stores[0].record(StorePlans.plan("d-1", jobs: 2))
            // One instance claims and "dies": its leases are not renewed and run out.
            let lost = try await stores[0].claimJobs(owner: "dead", limit: 2, lease: .milliseconds(1))
            #expect(lost.count == 2)
            var rescued = 0
            let allRescued = try await eventually {
                rescued += try await stores[1].rescueExpiredLeases()
                return rescued == 2
            }
            #expect(allRescued)
            #expect(try await stores[1].testJobCounts() == [.pending: 2])

            let again = try await stores[1].claimJobs(owner: "survivor", limit: 2, lease: Self.lease)
            #expect(Set(again.map(\.id)) == Set(lost.map(\.id)))
            // Look first (the lost attempt may have created the job), from when that attempt started.
            #expect(again.allSatisfy { $0.uncertain && $0.uncertainSince != nil && $0.attempts == 1 })
            #expect(again.allSatisfy { job in job.fence > lost.first { $0.id == job.id }!.fence })
            let records = try await stores[0].testJobs(provider: .github, deliveryID: "d-1")
            #expect(records.allSatisfy { $0.history.map(\.outcome) == ["interrupted"] })
        }
    }

    @Test(arguments: StoreBackend.available)
    func aStaleOwnersFinishChangesNothing(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            _ = try await stores[0].record(StorePlans.plan("d-1"))
            let frozen = try #require(
                try await stores[0].claimJobs(owner: "frozen", limit: 1, lease: .milliseconds(1)).first
            )
            #expect(try await eventually { try await stores[1].rescueExpiredLeases() == 1 })
            let taken = try #require(
                try await stores[1].claimJobs(owner: "survivor", limit: 1, lease: Self.lease).first
            )

            // The frozen owner wakes and reports its attempt: refused, whatever it says.
            #expect(try await stores[0].finish(frozen, outcome: TestOutcome.done("1")) == false)
            #expect(try await stores[0].finish(frozen, outcome: .failed(status: 400, error: "late")) == false)
            #expect(try await stores[0].renewLeases(owner: "frozen", lease: Self.lease) == 0)
            try await stores[0].release([frozen])
            #expect(try await stores[1].testJobCounts() == [.running: 1])

            #expect(try await stores[1].finish(taken, outcome: TestOutcome.done("2", label: .adopted)))
            let record = try #require(try await stores[1].testJobs(provider: .github, deliveryID: "d-1").first)
            #expect(record.terrakubeJobID == "2")
            #expect(record.state == .done)
            #expect(record.history.map(\.outcome) == ["interrupted", "adopted"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func renewedLeasesAreNotRescuedAndReleasedClaimsAreUnclaimed(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1", jobs: 3))
            let held = try await store.claimJobs(owner: "alive", limit: 2, lease: .milliseconds(1))
            #expect(try await store.renewLeases(owner: "alive", lease: .seconds(3600)) == 2)
            #expect(try await store.renewLeases(owner: "someone-else", lease: .seconds(3600)) == 0)
            #expect(try await store.rescueExpiredLeases() == 0)

            // Handed back unstarted: pending again, the claim not counted as an attempt.
            try await store.release([held[0]])
            #expect(try await store.testJobCounts() == [.pending: 2, .running: 1])
            let again = try await store.claimJobs(owner: "alive", limit: 5, lease: Self.lease)
            #expect(Set(again.map(\.id)) == Set([held[0].id, held[1].id + 1]))
            #expect(again.allSatisfy { $0.attempts == 0 && !$0.uncertain })
            #expect(try await store.testJobs(provider: .github, deliveryID: "d-1").allSatisfy { $0.history.isEmpty })
        }
    }

    @Test(arguments: StoreBackend.available)
    func aTerrakubeJobIsRecordedForOneJobAtMost(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            _ = try await stores[0].record(StorePlans.plan("d-1", jobs: 2))
            let claimed = try await stores[0].claimJobs(owner: Self.owner, limit: 2, lease: Self.lease)
            #expect(try await stores[0].finish(claimed[0], outcome: TestOutcome.done("42")))
            // Another process adopting the same Terrakube job for another job is refused by the store.
            await #expect(throws: (any Error).self) {
                try await stores[1].finish(claimed[1], outcome: TestOutcome.done("42", label: .adopted))
            }
            let records = try await stores[1].testJobs(provider: .github, deliveryID: "d-1")
            #expect(records.map(\.terrakubeJobID) == ["42", nil])
            #expect(records.map(\.state) == [.done, .running])
            #expect(records[1].history.isEmpty)
        }
    }

    /// Unique results are an option of the kind: two commits may well show the same status text.
    @Test(arguments: StoreBackend.available)
    func resultsAreUniqueOnlyForKindsThatSaySo(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let post: WorkKind = "test.post"
            _ = try await stores[0].record(StorePlans.plan("d-1", jobs: 1))
            let job = try #require(try await stores[0].claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            let posts = [NewWork(kind: post, payload: [1]), NewWork(kind: post, payload: [2])]
            let done = WorkOutcome.done(result: "tk-1", label: .created, detail: nil, next: posts)
            #expect(try await stores[0].finish(job, outcome: done))
            let claimed = try await stores[1].claim(owner: Self.owner, kinds: [post], limit: 2, lease: Self.lease)
            #expect(claimed.count == 2)
            for item in claimed {
                let posted = WorkOutcome.done(result: "success Queued", label: .posted, detail: nil)
                #expect(try await stores[1].finish(item, outcome: posted))
            }
            #expect(try await stores[0].workCounts()[post] == [.done: 2])
            #expect(try await stores[0].recordedResults(of: post, among: ["success Queued"]) == ["success Queued"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func requeueAddsFreshJobsOncePerWorkspaceAndTemplate(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1", jobs: 2))
            let claimed = try await store.claimJobs(owner: Self.owner, limit: 2, lease: Self.lease)
            for (index, job) in claimed.enumerated() {
                _ = try await store.finish(job, outcome: TestOutcome.done("\(index)"))
            }
            #expect(try await store.requeueWork(provider: .github, deliveryID: "d-1") == 2)
            #expect(try await store.requeueWork(provider: .github, deliveryID: "d-1") == 2)
            #expect(try await store.requeueWork(provider: .github, deliveryID: "nope") == 0)
            let jobs = try await store.testJobs(provider: .github, deliveryID: "d-1")
            #expect(jobs.map(\.state) == [.done, .done, .pending, .pending, .pending, .pending])
            #expect(jobs.map(\.job?.workspace) == ["ws-0", "ws-1", "ws-0", "ws-1", "ws-0", "ws-1"])
            #expect(jobs.suffix(4).allSatisfy { $0.attempts == 0 && $0.terrakubeJobID == nil })
        }
    }

    @Test(arguments: StoreBackend.available)
    func oldDeliveriesWhoseJobsAreDoneArePrunedOldestFirstInBatches(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            let day = 86_400.0
            let now = Date()
            // Four old deliveries (one ignored, two whose jobs finished, one with a job still pending), one recent.
            _ = try await store.record(StorePlans.plan("old-ignored", jobs: 0, at: now - 40 * day))
            _ = try await store.record(StorePlans.plan("old-created", jobs: 2, at: now - 39 * day))
            _ = try await store.record(StorePlans.plan("old-failed", jobs: 1, at: now - 38 * day))
            let finished = try await store.claimJobs(owner: Self.owner, limit: 3, lease: Self.lease)
            #expect(finished.count == 3)
            for job in finished.prefix(2) {
                #expect(try await store.finish(job, outcome: TestOutcome.done("tk-\(job.id)")))
            }
            #expect(try await store.finish(finished[2], outcome: .failed(status: 400, error: "refused")))
            _ = try await store.record(StorePlans.plan("old-pending", jobs: 1, at: now - 37 * day))
            _ = try await store.record(StorePlans.plan("recent", jobs: 0, at: now - day))

            let cutoff = now - 30 * day
            #expect(try await store.pruneDeliveries(receivedBefore: cutoff, limit: 2) == 2)
            #expect(try await store.deliveries(withID: "old-ignored", provider: nil).isEmpty)
            #expect(try await store.deliveries(withID: "old-created", provider: nil).isEmpty)
            #expect(try await store.testJobs(provider: .github, deliveryID: "old-created").isEmpty)
            #expect(try await store.deliveries(withID: "old-failed", provider: nil).count == 1)

            #expect(try await store.pruneDeliveries(receivedBefore: cutoff, limit: 2) == 1)
            #expect(try await store.pruneDeliveries(receivedBefore: cutoff, limit: 2) == 0)
            #expect(try await store.recentDeliveries(limit: 10).map(\.deliveryID) == ["recent", "old-pending"])
            // What is left of the jobs table is the pending job alone: attempts and jobs went with their deliveries.
            #expect(try await store.testJobCounts() == [.pending: 1])
            #expect(
                try await store.recordedResults(
                    of: .testJob,
                    among: finished.prefix(2).map { "tk-\($0.id)" }
                ).isEmpty
            )

            // Once its job is done, the last old one goes too.
            let last = try #require(try await store.claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            #expect(try await store.finish(last, outcome: TestOutcome.done("tk-last")))
            #expect(try await store.pruneDeliveries(receivedBefore: cutoff, limit: 10) == 1)
            #expect(try await store.recentDeliveries(limit: 10).map(\.deliveryID) == ["recent"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aDeliverySizedWriteProbeLeavesNothingBehind(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("kept", jobs: 0))
            try await store.checkWritable(deliveryOf: 600_000)
            try await store.checkWritable(deliveryOf: 10)
            #expect(try await store.recentDeliveries(limit: 10).map(\.deliveryID) == ["kept"])
            #expect(try await store.deliveries(withID: "kept", provider: nil).count == 1)
        }
    }

    @Test(arguments: StoreBackend.available)
    func inspectionReadsBackWhatWasStoredByteForByte(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            var job = StorePlans.jobs(1, branch: "feat/\"quoted\"\\back\tslash\u{1}ünï 🚀")[0]
            job.workspace = "ws [1], {2}"
            var plan = StorePlans.plan("odd", jobs: [job], at: Date(timeIntervalSince1970: 1_800_000_000))
            plan.record.body = [0xff, 0x00, 0x7b, 0x7d]
            // Repeated fields are kept, each in its place.
            plan.record.headers = WebhookHeaders([
                (name: "X-GitHub-Event", value: "push"), (name: "X-Odd", value: "a\"b\\c"),
                (name: "X-Odd", value: "second"),
            ])
            _ = try await store.record(plan)
            _ = try await store.record(
                StorePlans.plan("later", jobs: 0, at: Date(timeIntervalSince1970: 1_800_000_100))
            )

            #expect(try await store.testJobs(provider: .github, deliveryID: "odd").map(\.job) == plan.jobs)
            let listed = try await store.recentDeliveries(limit: 10)
            #expect(listed.map(\.deliveryID) == ["later", "odd"])
            #expect(listed[1].work.count == 1)
            #expect(listed[1].receivedAt == plan.record.receivedAt)
            #expect(listed[0].decision == "ignore")
            let stored = try #require(try await store.deliveries(withID: "odd", provider: nil).first)
            #expect(stored.body == plan.record.body)
            #expect(stored.headers == plan.record.headers)
            #expect(stored.summary.repository == "github.com/acme/infra")
            #expect(stored.summary.signature == "valid")
            #expect(try await store.deliveries(withID: "odd", provider: .gitlab).isEmpty)
            #expect(try await store.deliveries(withID: "odd", provider: .github).count == 1)

            let oldest = try #require(try await store.oldestUnfinishedWork()[.testJob])
            #expect(abs(oldest.timeIntervalSinceNow) < 3600 || oldest == plan.record.receivedAt)
            try await store.checkWritable()
        }
    }

    private static let follow: WorkKind = "test.follow"

    @Test(arguments: StoreBackend.available)
    func anOutcomeQueuesItsFollowUpsAsChildrenInTheSameTransaction(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1", jobs: 1))
            let job = try #require(try await store.claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            let next = [
                NewWork(kind: Self.follow, payload: Array("first \u{0}\u{FF}".utf8)),
                NewWork(kind: Self.follow, payload: [0, 1, 255], after: .seconds(3600)),
            ]
            let outcome = WorkOutcome.done(result: "tk-1", label: .created, detail: nil, next: next)
            #expect(try await store.finish(job, outcome: outcome))
            // A second finish of the same claim is stale: it changes nothing and queues nothing more.
            #expect(try await store.finish(job, outcome: outcome) == false)

            let work = try await store.work(provider: .github, deliveryID: "d-1")
            #expect(work.map(\.kind) == [.testJob, Self.follow, Self.follow])
            #expect(work.dropFirst().allSatisfy { $0.parent == job.id && $0.state == .pending })
            #expect(work.dropFirst().map(\.payload) == next.map(\.payload))
            #expect(try await store.workCounts()[Self.follow] == [.pending: 2])

            // Claims take only the kinds asked for, and only what is due.
            #expect(try await store.claimJobs(owner: Self.owner, limit: 10, lease: Self.lease).isEmpty)
            let followed = try await store.claim(owner: Self.owner, kinds: [Self.follow], limit: 10, lease: Self.lease)
            #expect(followed.map(\.id) == [work[1].id])
            #expect(followed.first?.payload == next[0].payload)
            #expect(followed.first?.deliveryID == "d-1")

            // A redelivery queues again what the delivery itself queued, not what its outcomes did.
            #expect(try await store.requeueWork(provider: .github, deliveryID: "d-1") == 1)
            #expect(try await store.testJobCounts() == [.done: 1, .pending: 1])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aFailureCanQueueFollowUpsAndResultsAreUniquePerKind(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            _ = try await stores[0].record(StorePlans.plan("d-1", jobs: 2))
            let jobs = try await stores[0].claimJobs(owner: Self.owner, limit: 2, lease: Self.lease)
            let told = NewWork(kind: Self.follow, payload: Array("refused".utf8))
            #expect(try await stores[0].finish(jobs[0], outcome: .failed(status: 422, error: "refused", next: [told])))
            #expect(try await stores[1].workCounts()[Self.follow] == [.pending: 1])
            // The same result under another kind is no conflict.
            let child = try #require(
                try await stores[1].claim(owner: Self.owner, kinds: [Self.follow], limit: 1, lease: Self.lease).first
            )
            #expect(try await stores[1].finish(child, outcome: .done(result: "7", label: .done, detail: nil)))
            #expect(try await stores[0].finish(jobs[1], outcome: TestOutcome.done("7")))
            #expect(try await stores[1].recordedResults(of: .testJob, among: ["7"]) == ["7"])
            #expect(try await stores[1].recordedResults(of: Self.follow, among: ["7", "8"]) == ["7"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aClaimOfSeveralKindsTakesTheLongestDueFirstUpToItsLimit(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1", jobs: 2))
            let first = try #require(try await store.claimJobs(owner: Self.owner, limit: 1, lease: Self.lease).first)
            let next = [
                NewWork(kind: Self.follow, payload: [1]), NewWork(kind: Self.follow, payload: [2]),
            ]
            #expect(try await store.finish(first, outcome: .done(result: nil, label: .done, detail: nil, next: next)))
            let claimed = try await store.claim(
                owner: Self.owner,
                kinds: [Self.follow, .testJob],
                limit: 2,
                lease: Self.lease
            )
            // The second job was due when the delivery came; the follow-ups only once the first was done.
            #expect(claimed.map(\.kind) == [.testJob, Self.follow])
            #expect(claimed.last?.payload == [1])
            #expect(try await store.workCounts()[Self.follow] == [.pending: 1, .running: 1])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aKeyedItemIsOneItemThatTakesTheNewestPayload(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let status: WorkKind = "test.status"
            let owner = Self.owner
            func post(_ byte: UInt8) -> [NewWork] { [NewWork(kind: status, payload: [byte], key: "sha/context")] }
            func statusItems() async throws -> [WorkRecord] {
                (try await stores[1].work(provider: .github, deliveryID: "d-1")).filter { $0.kind == status }
            }
            _ = try await stores[0].record(StorePlans.plan("d-1", jobs: 3))
            let jobs = try await stores[0].claimJobs(owner: owner, limit: 3, lease: Self.lease)
            #expect(
                try await stores[0].finish(
                    jobs[0],
                    outcome: .done(result: nil, label: .done, detail: nil, next: post(1))
                )
            )
            // Queued again while pending: still one item, with the newer payload.
            #expect(try await stores[1].finish(jobs[1], outcome: .failed(status: nil, error: "x", next: post(2))))
            var items = try await statusItems()
            #expect(items.map(\.payload) == [[2]] && items.map(\.state) == [.pending])

            // Queued again while it runs: the running attempt keeps what it took, and the item takes the new
            // payload when that attempt ends, due at once, its result kept.
            let running = try #require(
                try await stores[0].claim(owner: owner, kinds: [status], limit: 5, lease: Self.lease).first
            )
            #expect(running.payload == [2])
            #expect(
                try await stores[1].finish(
                    jobs[2],
                    outcome: .done(result: nil, label: .done, detail: nil, next: post(3))
                )
            )
            #expect(try await statusItems().map(\.state) == [.running])
            #expect(try await stores[1].claim(owner: owner, kinds: [status], limit: 5, lease: Self.lease).isEmpty)
            #expect(
                try await stores[0].finish(running, outcome: .done(result: "posted 2", label: .posted, detail: nil))
            )
            items = try await statusItems()
            #expect(items.map(\.payload) == [[3]] && items.map(\.state) == [.pending] && items[0].attempts == 0)
            #expect(items[0].history.map(\.outcome) == ["posted"])

            let again = try #require(
                try await stores[1].claim(owner: owner, kinds: [status], limit: 5, lease: Self.lease).first
            )
            #expect(again.payload == [3] && again.result == "posted 2" && again.attempts == 0)
            // A reschedule is neither an attempt nor a history row; it changes what the item knows.
            #expect(try await stores[1].finish(again, outcome: .reschedule(payload: [4], after: .seconds(3600))))
            items = try await statusItems()
            #expect(items.map(\.payload) == [[4]] && items.map(\.state) == [.pending] && items[0].attempts == 0)
            #expect(items[0].history.count == 1)
            #expect(try await stores[0].claim(owner: owner, kinds: [status], limit: 5, lease: Self.lease).isEmpty)

            // A redelivery queues the jobs again, not the keyed item: there is one of it.
            #expect(try await stores[0].requeueWork(provider: .github, deliveryID: "d-1") == 3)
            #expect(try await stores[1].workCounts()[status] == [.pending: 1])
        }
    }

    /// A hint makes a keyed item due now, whichever process asks; an item without that key, or one
    /// finished, is not there to hasten.
    @Test(arguments: StoreBackend.available)
    func aKeyedItemCanBeMadeDueNow(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let follow: WorkKind = "test.follow"
            let owner = Self.owner
            _ = try await stores[0].record(StorePlans.plan("d-1", jobs: 1))
            let job = try #require(try await stores[0].claimJobs(owner: owner, limit: 1, lease: Self.lease).first)
            let later = NewWork(kind: follow, payload: [1], after: .seconds(3600), key: "job 7")
            #expect(
                try await stores[0].finish(job, outcome: .done(result: nil, label: .done, detail: nil, next: [later]))
            )
            #expect(try await stores[1].claim(owner: owner, kinds: [follow], limit: 5, lease: Self.lease).isEmpty)

            #expect(try await stores[1].hasten(kind: follow, key: "job 8") == false)
            #expect(try await stores[1].hasten(kind: "test.other", key: "job 7") == false)
            #expect(try await stores[1].hasten(kind: follow, key: "job 7"))
            let due = try #require(
                try await stores[0].claim(owner: owner, kinds: [follow], limit: 5, lease: Self.lease).first
            )
            #expect(due.payload == [1])
            #expect(try await stores[0].finish(due, outcome: .done(result: nil, label: .done, detail: nil)))
            #expect(try await stores[1].hasten(kind: follow, key: "job 7") == false)
        }
    }

    /// A pull request's plan for one head commit is one item however many deliveries carry it, whichever
    /// instances record them, at the same instant or later.
    @Test(arguments: StoreBackend.available)
    func aPlanIsQueuedOncePerHeadAcrossInstances(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let results = try await withThrowingTaskGroup(of: RecordResult.self) { group in
                for index in 0..<10 {
                    let store = stores[index % 2]
                    group.addTask { try await store.record(StorePlans.plan("pr-\(index)", pullRequestHead: "aaa")) }
                }
                return try await group.reduce(into: [RecordResult]()) { $0.append($1) }
            }
            #expect(!results.contains(.duplicate))  // ten deliveries, each stored
            #expect(try await stores[0].workCounts()[.testJob] == [.pending: 1])
            let job = try #require(try await stores[1].claimJobs(owner: Self.owner, limit: 5, lease: Self.lease).first)
            #expect(try await stores[1].finish(job, outcome: TestOutcome.done("41")))
            // Delivered again once created: still the one plan, done.
            _ = try await stores[0].record(StorePlans.plan("pr-late", pullRequestHead: "aaa"))
            #expect(try await stores[0].workCounts()[.testJob] == [.done: 1])
            // Asked for on purpose, it runs again.
            #expect(try await stores[0].requeueWork(provider: .github, deliveryID: job.deliveryID) == 1)
            #expect(try await stores[0].workCounts()[.testJob] == [.done: 1, .pending: 1])
        }
    }

    /// A newer head's plan drops the older heads' plans not yet created: one waiting at once, one in flight
    /// once its attempt fails or is handed back, never one that was created, nor another workspace's.
    @Test(arguments: StoreBackend.available)
    func aNewerHeadSupersedesTheOlderPlansNotYetCreated(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let (first, second) = (stores[0], stores[1])
            func state(_ id: String) async throws -> WorkState? {
                try await first.work(provider: .github, deliveryID: id).first?.state
            }
            _ = try await first.record(StorePlans.plan("head-a", pullRequestHead: "a"))
            _ = try await first.record(StorePlans.plan("other-ws", pullRequestHead: "a", workspace: "ws-9"))
            _ = try await second.record(StorePlans.plan("head-b", pullRequestHead: "b"))
            #expect(try await state("head-a") == .superseded)
            #expect(try await state("other-ws") == .pending)

            // In flight when superseded: a failed attempt drops it, and it is never sent again.
            let b = try #require(
                try await first.claimJobs(owner: Self.owner, limit: 5, lease: Self.lease).first {
                    $0.deliveryID == "head-b"
                }
            )
            _ = try await second.record(StorePlans.plan("head-c", pullRequestHead: "c"))
            #expect(try await state("head-b") == .running)
            #expect(
                try await first.finish(
                    b,
                    outcome: .retry(status: 503, error: "down", after: .zero, outcomeUnknown: false)
                )
            )
            #expect(try await state("head-b") == .superseded)

            // In flight and created: it stays created.
            let c = try #require(
                try await first.claimJobs(owner: Self.owner, limit: 5, lease: Self.lease).first {
                    $0.deliveryID == "head-c"
                }
            )
            _ = try await second.record(StorePlans.plan("head-d", pullRequestHead: "d"))
            #expect(try await first.finish(c, outcome: TestOutcome.done("43")))
            #expect(try await state("head-c") == .done)

            // Claimed but not started (a shutdown hands it back): dropped too.
            let d = try #require(
                try await first.claimJobs(owner: Self.owner, limit: 5, lease: Self.lease).first {
                    $0.deliveryID == "head-d"
                }
            )
            _ = try await second.record(StorePlans.plan("head-e", pullRequestHead: nil))
            try await first.release([d])
            #expect(try await state("head-d") == .superseded)

            // Only the newest head is left to send (the other workspace's plan went with the first claim).
            let left = try await second.claimJobs(owner: Self.owner, limit: 10, lease: Self.lease)
            #expect(left.map(\.deliveryID) == ["head-e"])
            #expect(try await first.workCounts()[.testJob] == [.superseded: 3, .done: 1, .running: 2])
        }
    }
}
