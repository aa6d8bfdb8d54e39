import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import ServiceLifecycle
import Synchronization
import Testing

/// Time as the queue's work sees it, on a clock the test moves: a retry's delay, a lease, the backoff floor
/// of an uncertain attempt and the 6-hour follow limit, each tested without waiting for it.
struct ClockTests {
    private static let logger = Logger(label: "test")

    private static func record(_ id: String, at date: Date) -> DeliveryRecord {
        DeliveryRecord(
            provider: .github,
            deliveryID: id,
            event: "push",
            receivedAt: date,
            repository: nil,
            ref: nil,
            decision: .queue,
            reason: "test",
            signature: .valid,
            headers: [:],
            body: []
        )
    }

    @Test func aRetryIsTakenAgainOnlyOnceItsDelayHasPassedOnTheClock() async throws {
        let time = ManualClock()
        let store = InMemoryDeliveryStore(clock: time.clock)
        let later = WorkOutcome.retry(status: 503, error: "down", after: .seconds(30), outcomeUnknown: false)
        let handler = ScriptedHandler([later, .done(result: nil, label: .done, detail: nil)])
        _ = try await store.record(Self.record("d-1", at: time.now), work: [ScriptedHandler.type.work("hello")])
        let wake = DispatchWakeUp()
        let dispatcher = WorkDispatcher(store: store, handlers: [handler], wake: wake, logger: Self.logger, owner: "o")
        let group = ServiceGroup(services: [dispatcher], logger: Self.logger)
        try await group.whileRunning {
            var calls = handler.calls.makeAsyncIterator()
            #expect(await calls.next()?.attempts == 0)
            let waiting = try await eventually {
                try await store.work(provider: .github, deliveryID: "d-1").first.map {
                    $0.state == .pending && $0.attempts == 1 && $0.lastError == "down"
                } ?? false
            }
            #expect(waiting)
            // A second short of the delay, nothing is due to anyone.
            time.advance(by: .seconds(29))
            let probe = try await store.claim(
                owner: "probe",
                kinds: [ScriptedHandler.type.kind],
                limit: 1,
                lease: .seconds(1)
            )
            #expect(probe.isEmpty)
            time.advance(by: .seconds(1))
            wake.signal()
            let second = await calls.next()
            #expect(second?.attempts == 1)
            #expect(second?.payload == "hello")
            let done = try await eventually {
                try await store.work(provider: .github, deliveryID: "d-1").first?.state == .done
            }
            #expect(done)
        }
    }

    @Test func aLeaseRunsOutOnTheStoresClockAndItsItemLooksFirst() async throws {
        let time = ManualClock()
        let store = InMemoryDeliveryStore(clock: time.clock)
        _ = try await store.record(Self.record("d-1", at: time.now), work: [ScriptedHandler.type.work("x")])
        let claimedAt = time.now
        let lost = try #require(
            try await store.claim(owner: "dead", kinds: [ScriptedHandler.type.kind], limit: 1, lease: .seconds(30))
                .first
        )
        time.advance(by: .seconds(29))
        #expect(try await store.rescueExpiredLeases() == 0)
        #expect(try await store.renewLeases(owner: "dead", lease: .seconds(30)) == 1)
        time.advance(by: .seconds(29))
        #expect(try await store.rescueExpiredLeases() == 0, "renewed at 29 s, for 30 s more")
        time.advance(by: .seconds(2))
        #expect(try await store.rescueExpiredLeases() == 1)
        let again = try #require(
            try await store.claim(owner: "alive", kinds: [ScriptedHandler.type.kind], limit: 1, lease: .seconds(30))
                .first
        )
        #expect(again.uncertain && again.uncertainSince == claimedAt && again.fence > lost.fence)
        #expect(try await store.finish(lost, outcome: .done(result: nil, label: .done, detail: nil)) == false)
    }

    @Test func anAttemptThatMayHaveCreatedTheJobWaitsAtLeastTheFloorBeforeItLooks() async {
        let api = StubTerrakube(create: { (_: JobSpec) throws(TerrakubeFailure) -> String in
            throw TerrakubeFailure.retryable(status: nil, reason: "timed out", retryAfter: nil, outcomeUnknown: true)
        })
        var creation = TerrakubeJobCreation(
            api: api,
            results: InMemoryDeliveryStore(),
            retry: RetryPolicy(baseDelay: .milliseconds(10), maxDelay: .seconds(1), maxAttempts: 5)
        )
        creation.uncertainRetryFloor = .seconds(30)
        let work = ClaimedWork(
            id: 1,
            fence: 1,
            kind: .createTerrakubeJob,
            payload: [],
            attempts: 0,
            provider: .github,
            deliveryID: "d-1",
            queuedAt: Date()
        )
        let outcome = await creation.perform(work, TerrakubeJobOrder(TerrakubeStandInTests.job), logger: Self.logger)
        #expect(outcome == .retry(status: nil, error: "timed out", after: .seconds(30), outcomeUnknown: true))
        // A failure known not to have reached Terrakube keeps the policy's own, shorter backoff.
        let refused = StubTerrakube(create: { (_: JobSpec) throws(TerrakubeFailure) -> String in
            throw TerrakubeFailure.retryable(status: 503, reason: "down", retryAfter: nil)
        })
        var plain = TerrakubeJobCreation(api: refused, results: InMemoryDeliveryStore(), retry: creation.retry)
        plain.uncertainRetryFloor = .seconds(30)
        let known = await plain.perform(work, TerrakubeJobOrder(TerrakubeStandInTests.job), logger: Self.logger)
        guard case .retry(_, _, let after, false) = known else {
            Issue.record("not a plain retry: \(known)")
            return
        }
        #expect(after < .seconds(1))
    }

    @Test func aFollowedJobEndsSixHoursOnWhetherOrNotTerrakubeAnswers() async {
        let time = ManualClock()
        let reads = Mutex<TerrakubeFailure?>(nil)
        let api = StubTerrakube(jobs: { (ids: [String]) throws(TerrakubeFailure) -> [TerrakubeJobSummary] in
            if let failure = reads.withLock({ $0 }) { throw failure }
            return ids.map {
                TerrakubeJobSummary(
                    id: $0,
                    createdAt: nil,
                    workspace: nil,
                    templateReference: nil,
                    overrideBranch: nil,
                    commitID: nil,
                    status: "running"
                )
            }
        })
        var follower = TerrakubeJobFollower(api: api)
        follower.clock = time.clock
        let job = FollowedJob(organization: "org", jobID: "7", since: time.now, status: "running")
        let work = ClaimedWork(
            id: 1,
            fence: 1,
            kind: .followTerrakubeJob,
            payload: [],
            attempts: 0,
            provider: .github,
            deliveryID: "d-1",
            queuedAt: time.now
        )
        func read(_ job: FollowedJob) async -> String {
            Self.shape(await follower.perform(work, job, logger: Self.logger))
        }
        #expect(await read(job) == "rescheduled", "a running job is read again")
        time.advance(by: .seconds(6 * 3600 - 1))
        #expect(await read(job) == "rescheduled", "still within 6 hours")
        time.advance(by: .seconds(1))
        #expect(await read(job) == "expired", "6 hours on, it ends")

        // Terrakube unreachable all along: tried again within the 6 hours, ended at them.
        reads.withLock { $0 = .retryable(status: nil, reason: "connection refused", retryAfter: nil) }
        let unread = FollowedJob(organization: "org", jobID: "7", since: time.now, status: "running")
        #expect(await read(unread) == "retry")
        time.advance(by: .seconds(6 * 3600))
        #expect(await read(unread) == "expired")
    }

    /// An outcome's word, for comparing outcomes that carry payloads and follow-ups.
    private static func shape(_ outcome: WorkOutcome) -> String {
        outcome.name
    }
}

/// A kind whose attempts end as scripted, publishing each call as it comes.
private final class ScriptedHandler: WorkHandler {
    static let type = WorkType<String>("test.scripted")

    struct Call: Sendable {
        var payload: String
        var attempts: Int
    }

    let calls: AsyncStream<Call>
    private let continuation: AsyncStream<Call>.Continuation
    private let outcomes: Mutex<[WorkOutcome]>

    init(_ outcomes: [WorkOutcome]) {
        (self.calls, self.continuation) = AsyncStream.makeStream()
        self.outcomes = Mutex(outcomes)
    }

    var type: WorkType<String> { Self.type }

    func perform(_ work: ClaimedWork, _ payload: String, logger: Logger) async -> WorkOutcome {
        self.continuation.yield(Call(payload: payload, attempts: work.attempts))
        return self.outcomes.withLock { $0.isEmpty ? .failed(status: nil, error: "unscripted") : $0.removeFirst() }
    }
}

/// Terrakube's API answering as each test says.
private struct StubTerrakube: TerrakubeAPI {
    var create: @Sendable (JobSpec) throws(TerrakubeFailure) -> String = { _ in "1" }
    var jobs: @Sendable ([String]) throws(TerrakubeFailure) -> [TerrakubeJobSummary] = { _ in [] }

    func createJob(_ job: JobSpec) async throws(TerrakubeFailure) -> String { try self.create(job) }

    func findJobs(like job: JobSpec) async throws(TerrakubeFailure) -> [TerrakubeJobSummary] { [] }

    func jobs(ids: [String], organization: String) async throws(TerrakubeFailure) -> [TerrakubeJobSummary] {
        try self.jobs(ids)
    }

    func job(id: String, organization: String) async throws(TerrakubeFailure) -> TerrakubeJobSummary? {
        try self.jobs([id]).first
    }
}
