import AsyncHTTPClient
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import ServiceLifecycle
import Synchronization
import Testing

/// Following Terrakube jobs with the real dispatcher, a real SQLite store and the stand-in over HTTP:
/// read together, each change handed on once, until each job ends.
@Suite(.timeLimit(.minutes(2)))
struct FollowTests {
    static let notes: WorkKind = "test.note"

    /// 30 jobs created in the stand-in, each followed by an item in a fresh store.
    static func withFollowedJobs(
        _ standIn: TerrakubeStandIn,
        url: String,
        _ body: (SQLiteDeliveryStore, [String]) async throws -> Void
    ) async throws {
        let api = TerrakubeJobStateTests.api(url)
        var ids: [String] = []
        for index in 0..<30 {
            var job = TerrakubeStandInTests.job
            job.commitID = "c\(index)"
            ids.append(try await api.createJob(job))
        }
        let directory = NSTemporaryDirectory() + "pushrelay-follow-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLiteDeliveryStore.open(path: directory + "/s.sqlite", logger: Logger(label: "test"))
        let record = DeliveryRecord(
            provider: .github,
            deliveryID: "d-1",
            event: "push",
            receivedAt: Date(),
            repository: "github.com/a/b",
            ref: "refs/heads/main",
            decision: .queue,
            reason: "test",
            signature: .valid,
            headers: WebhookHeaders(),
            body: []
        )
        _ = try await store.record(record, work: [])
        // The follow-ups of one finished item, as a created job's will be.
        var seed = record
        seed.deliveryID = "d-2"
        _ = try await store.record(seed, work: [TerrakubeJobOrder(TerrakubeStandInTests.job).work])
        let created = try #require(try await store.claim(owner: "seed", limit: 1, lease: .seconds(60)).first)
        let follows = ids.map { FollowedJob(organization: "org", jobID: $0, since: Date()).work }
        #expect(
            try await store.finish(created, outcome: .done(result: nil, label: .created, detail: nil, next: follows))
        )
        do {
            try await body(store, ids)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    static func run(
        _ follower: TerrakubeJobFollower<RESTTerrakubeAPI>,
        store: SQLiteDeliveryStore,
        until done: @escaping @Sendable () async throws -> Bool
    ) async throws -> Bool {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        var dispatcher = WorkDispatcher(
            store: store,
            handlers: [follower],
            wake: DispatchWakeUp(),
            logger: logger,
            owner: "follow-test",
            concurrency: 200
        )
        dispatcher.idleDelay = .milliseconds(20)
        let group = ServiceGroup(configuration: .init(services: [dispatcher], logger: logger))
        return try await group.whileRunning { try await eventually(within: .seconds(60)) { try await done() } }
    }

    @Test func jobsAreReadTogetherAndEachChangeIsHandedOnOnceUntilTheyEnd() async throws {
        let standIn = TerrakubeStandIn(token: "t")
        try await standIn.whileRunning { url in
            try await Self.withFollowedJobs(standIn, url: url) { store, ids in
                for id in 1...30 {
                    standIn.script(
                        job: id,
                        "queue",
                        "queue",
                        "running",
                        "waitingApproval",
                        id % 3 == 0 ? "rejected" : "completed"
                    )
                }
                var follower = TerrakubeJobFollower(api: TerrakubeJobStateTests.api(url))
                follower.cadence = FollowCadence(active: .milliseconds(50), waiting: .milliseconds(150))
                follower.onChange = { job, progress in
                    [
                        NewWork(
                            kind: Self.notes,
                            payload: Array(
                                "\(job.jobID) \(CommitStatus(progress, runURL: { _ in nil }).description)".utf8
                            )
                        )
                    ]
                }
                let before = standIn.requests.count
                let finished = try await Self.run(follower, store: store) {
                    try await store.workCounts()[.followTerrakubeJob] == [.done: 30]
                }
                #expect(finished)
                // Polls come due together on the clock, so each round reads all 30 jobs in one request: 5
                // requests for the 5 rounds here (a loaded machine may split a round), not 30 a round.
                let reads = standIn.requests.dropFirst(before)
                #expect(reads.allSatisfy { $0.path.contains("filter%5Bjob%5D=id%3Din%3D") })
                #expect(reads.count <= 10, "\(reads.count) reads for 5 rounds of 30 jobs")

                // Each job's changes, in order, once each: `queue` seen twice is one change.
                let work = try await store.work(provider: .github, deliveryID: "d-2")
                let notes = work.filter { $0.kind == Self.notes }.map { String(decoding: $0.payload, as: UTF8.self) }
                for id in ids {
                    let end = Int(id)! % 3 == 0 ? "rejected" : "completed"
                    #expect(
                        notes.filter { $0.hasPrefix("\(id) ") } == [
                            "\(id) Terrakube job \(id): queued", "\(id) Terrakube job \(id): running",
                            "\(id) Terrakube job \(id): waiting for approval", "\(id) Terrakube job \(id): \(end)",
                        ]
                    )
                }
                // Polls are not attempts: each item has one history row, its end.
                let follows = work.filter { $0.kind == .followTerrakubeJob }
                #expect(follows.allSatisfy { $0.history.count == 1 && $0.attempts == 1 })
                #expect(Set(follows.flatMap(\.history).map(\.outcome)) == ["rejected", "completed"])
            }
        }
    }

    @Test func aServerThatRefusesTheFilterIsReadOneJobAtATime() async throws {
        let standIn = TerrakubeStandIn(token: "t")
        standIn.refuseIDFilter()
        try await standIn.whileRunning { url in
            try await Self.withFollowedJobs(standIn, url: url) { store, _ in
                for id in 1...30 { standIn.script(job: id, "running", "completed") }
                var follower = TerrakubeJobFollower(api: TerrakubeJobStateTests.api(url))
                follower.cadence = FollowCadence(active: .milliseconds(50))
                let before = standIn.requests.count
                let finished = try await Self.run(follower, store: store) {
                    try await store.workCounts()[.followTerrakubeJob] == [.done: 30]
                }
                #expect(finished)
                let reads = standIn.requests.dropFirst(before)
                // The filter was tried once (per batch in flight then), then never again.
                #expect(reads.filter { $0.path.contains("id%3Din%3D") }.count <= 2)
                #expect(reads.filter { $0.path.contains("/job/") }.count >= 60)
            }
        }
    }

    @Test func aJobTerrakubeNoLongerHasOrThatRunsPastTheLimitEnds() {
        let follower = TerrakubeJobFollower(api: NoTerrakube())
        let job = FollowedJob(organization: "org", jobID: "7", since: Date(timeIntervalSince1970: 0), status: "running")
        let running = Self.summary("running")
        #expect(follower.outcome(job, now: nil, at: Date()).name == "missing")
        #expect(follower.outcome(job, now: running, at: Date(timeIntervalSince1970: 6 * 3600)).name == "expired")
        // Reads that keep failing are retried, until the same limit ends following.
        let down = TerrakubeFailure.retryable(status: 503, reason: "down", retryAfter: nil)
        #expect(follower.outcome(job, failed: down, attempts: 3, at: Date(timeIntervalSince1970: 60)).name == "retry")
        #expect(
            follower.outcome(job, failed: down, attempts: 3, at: Date(timeIntervalSince1970: 6 * 3600)).name
                == "expired"
        )
        guard
            case .reschedule(_, let after, let next) = follower.outcome(
                job,
                now: running,
                at: Date(timeIntervalSince1970: 60)
            )
        else {
            Issue.record("a running job within the limit is read again")
            return
        }
        // Due at the next 5 s mark of the clock, where every running job is read together.
        #expect(after == .seconds(5) && next.isEmpty)
        #expect(FollowCadence().next(after: "running", now: Date(timeIntervalSince1970: 62)) == .seconds(3))
        #expect(FollowCadence().next(after: "waitingApproval", now: Date(timeIntervalSince1970: 62)) == .seconds(28))
    }

    /// Job 7 as a read finds it.
    static func summary(_ state: String) -> TerrakubeJobSummary {
        TerrakubeJobSummary(
            id: "7",
            createdAt: nil,
            workspace: nil,
            templateReference: nil,
            overrideBranch: nil,
            commitID: nil,
            status: state
        )
    }

    /// A change is handed on only when the commit would show something else: a created job was posted
    /// as "queued", and Terrakube's `queue` after `pending` is still "queued".
    @Test func aStateThatShowsTheSameIsNotHandedOn() {
        var follower = TerrakubeJobFollower(api: NoTerrakube())
        follower.onChange = { _, progress in [NewWork(kind: "seen", payload: Array("\(progress)".utf8))] }
        let created = FollowedJob(organization: "org", jobID: "7", since: Date(), status: "pending")
        let read = { (state: String) in Self.summary(state) }
        #expect(follower.outcome(created, now: read("queue"), at: Date()).next.isEmpty)
        #expect(follower.outcome(created, now: read("running"), at: Date()).next.count == 1)
        #expect(follower.outcome(created, now: read("completed"), at: Date()).next.count == 1)
    }
}

/// A Terrakube that is never asked.
private struct NoTerrakube: TerrakubeAPI {
    func createJob(_ job: JobSpec) async throws(TerrakubeFailure) -> String {
        throw .permanent(status: 500, detail: "")
    }
    func findJobs(like job: JobSpec) async throws(TerrakubeFailure) -> [TerrakubeJobSummary] { [] }
    func jobs(ids: [String], organization: String) async throws(TerrakubeFailure) -> [TerrakubeJobSummary] { [] }
    func job(id: String, organization: String) async throws(TerrakubeFailure) -> TerrakubeJobSummary? { nil }
}
