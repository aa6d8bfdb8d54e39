import Foundation
import PushRelayCore
import PushRelayTestSupport
import Synchronization
import Testing

@testable import PushRelayStore

/// The queue's rules for work that an outcome queues (``WorkOutcome/next``): keyed, once and grouped exactly
/// as work a delivery queues, on every backend; and the moves that are not attempts (hasten, reschedule, a
/// payload queued while an item runs).
@Suite(.serialized)
struct FollowUpContractTests {
    private static let owner = "test-owner"
    private static let lease = Duration.seconds(60)
    private static let follow: WorkKind = "test.follow"

    /// Delivery `d-1`'s `count` jobs, claimed: each finished by ``callAsFunction(_:)`` in turn, queuing
    /// the follow-ups given.
    private final class Finisher: Sendable {
        let store: any DeliveryStore
        let jobs: [ClaimedWork]
        private let finished = Atomic<Int>(0)

        init(_ store: any DeliveryStore, jobs count: Int) async throws {
            self.store = store
            _ = try await store.record(StorePlans.plan("d-1", jobs: count))
            self.jobs = try await store.claimJobs(owner: FollowUpContractTests.owner, limit: count, lease: .seconds(60))
            #expect(self.jobs.count == count)
        }

        func callAsFunction(_ next: [NewWork]) async throws {
            let index = self.finished.add(1, ordering: .relaxed).oldValue
            let done = WorkOutcome.done(result: nil, label: .done, detail: nil, next: next)
            #expect(try await self.store.finish(self.jobs[index], outcome: done))
        }
    }

    private static func follows(_ store: any DeliveryStore) async throws -> [WorkRecord] {
        try await store.work(provider: .github, deliveryID: "d-1").filter { $0.kind == Self.follow }
    }

    private static func claimFollow(_ store: any DeliveryStore) async throws -> [ClaimedWork] {
        try await store.claim(owner: Self.owner, kinds: [Self.follow], limit: 10, lease: Self.lease)
    }

    @Test(arguments: StoreBackend.available)
    func aFollowUpQueuedOnceIsQueuedOnceWhoeverQueuesIt(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let finish = try await Finisher(stores[0], jobs: 3)
            func once(_ byte: UInt8) -> [NewWork] {
                [NewWork(kind: Self.follow, payload: [byte], key: "pr 7 head a", once: true)]
            }
            try await finish(once(1))
            try await finish(once(2))
            var items = try await Self.follows(stores[1])
            #expect(items.map(\.payload) == [[1]])
            #expect(items.map(\.state) == [.pending])

            // Still once after it is done: queuing it again does nothing.
            let item = try #require(try await Self.claimFollow(stores[1]).first)
            #expect(try await stores[1].finish(item, outcome: .done(result: nil, label: .done, detail: nil)))
            try await finish(once(3))
            items = try await Self.follows(stores[0])
            #expect(items.map(\.payload) == [[1]])
            #expect(items.map(\.state) == [.done])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aGroupedFollowUpSupersedesItsGroupsOlderItems(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let finish = try await Finisher(stores[0], jobs: 5)
            func grouped(_ byte: UInt8, _ group: String = "pr 7") -> [NewWork] {
                [NewWork(kind: Self.follow, payload: [byte], group: group)]
            }
            try await finish(grouped(1))
            try await finish(grouped(2) + grouped(9, "pr 8"))
            var items = try await Self.follows(stores[1])
            #expect(items.map(\.payload) == [[1], [2], [9]])
            #expect(items.map(\.state) == [.superseded, .pending, .pending])

            // Running when a newer one comes: it ends superseded once its attempt fails; the other group's
            // item, running beside it, is untouched.
            let running = try #require(try await Self.claimFollow(stores[1]).first { $0.payload == [2] })
            try await finish(grouped(3))
            #expect(try await Self.follows(stores[0]).map(\.state) == [.superseded, .running, .running, .pending])
            let failed = WorkOutcome.retry(status: 503, error: "down", after: .zero, outcomeUnknown: false)
            #expect(try await stores[1].finish(running, outcome: failed))
            items = try await Self.follows(stores[0])
            #expect(items.map(\.state) == [.superseded, .superseded, .running, .pending])

            // Running and successful: done stays done.
            let third = try #require(try await Self.claimFollow(stores[0]).first { $0.payload == [3] })
            try await finish(grouped(4))
            #expect(try await stores[0].finish(third, outcome: .done(result: nil, label: .done, detail: nil)))
            items = try await Self.follows(stores[1])
            #expect(items.map(\.payload) == [[1], [2], [9], [3], [4]])
            #expect(items.map(\.state) == [.superseded, .superseded, .running, .done, .pending])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRescheduleIsNoAttemptAndQueuesItsFollowUps(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            _ = try await store.record(StorePlans.plan("d-1", jobs: 2))
            let jobs = try await store.claimJobs(owner: Self.owner, limit: 2, lease: Self.lease)
            let told = NewWork(kind: Self.follow, payload: [7])
            let later = WorkOutcome.reschedule(payload: [1], after: .seconds(3600), next: [told])
            #expect(try await store.finish(jobs[0], outcome: later))
            let record = try #require(try await store.testJobs(provider: .github, deliveryID: "d-1").first)
            #expect(record.payload == [1])
            #expect(record.state == .pending && record.attempts == 0 && record.history.isEmpty)
            #expect(try await Self.follows(store).map(\.parent) == [jobs[0].id])

            // Rescheduled to now with nothing new to say: due at once, its payload kept, no attempt counted;
            // the other is not due for an hour.
            #expect(try await store.finish(jobs[1], outcome: .reschedule(payload: nil, after: .zero)))
            let again = try await store.claimJobs(owner: Self.owner, limit: 2, lease: Self.lease)
            #expect(again.map(\.id) == [jobs[1].id])
            #expect(again.first?.payload == jobs[1].payload)
            #expect(again.first?.attempts == 0)
            #expect((again.first?.fence ?? 0) > jobs[1].fence)
            #expect(try await store.testJobs(provider: .github, deliveryID: "d-1").allSatisfy { $0.history.isEmpty })
        }
    }

    @Test(arguments: StoreBackend.available)
    func hasteningMakesAPendingKeyedItemDueAndLeavesARunningOneToItsAttempt(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let finish = try await Finisher(stores[0], jobs: 1)
            try await finish([NewWork(kind: Self.follow, payload: [1], after: .seconds(3600), key: "job 7")])
            #expect(try await Self.claimFollow(stores[1]).isEmpty)
            #expect(try await stores[1].hasten(kind: Self.follow, key: "job 7"))
            let running = try #require(try await Self.claimFollow(stores[0]).first)
            // Running: still there to hasten, and left running.
            #expect(try await stores[1].hasten(kind: Self.follow, key: "job 7"))
            #expect(try await Self.follows(stores[1]).map(\.state) == [.running])
            #expect(try await stores[0].finish(running, outcome: .reschedule(payload: nil, after: .seconds(3600))))
            #expect(try await Self.claimFollow(stores[1]).isEmpty)
            #expect(try await stores[1].hasten(kind: Self.follow, key: "job 7"))
            #expect(try await Self.claimFollow(stores[0]).map(\.payload) == [[1]])
        }
    }

    /// A keyed item queued again while it runs takes the new payload when it stops running, however that
    /// happens: a failure, a hand-back or a lease that ran out.
    @Test(arguments: StoreBackend.available)
    func aRunningKeyedItemTakesItsNextPayloadHoweverItsAttemptEnds(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let finish = try await Finisher(stores[0], jobs: 4)
            func keyed(_ byte: UInt8) -> [NewWork] { [NewWork(kind: Self.follow, payload: [byte], key: "status")] }
            try await finish(keyed(1))

            // Given up on: the newer payload is still to do, due at once and counted afresh.
            var running = try #require(try await Self.claimFollow(stores[1]).first)
            try await finish(keyed(2))
            #expect(try await stores[1].finish(running, outcome: .failed(status: 422, error: "refused")))
            var item = try #require(try await Self.follows(stores[0]).first)
            #expect(item.state == .pending && item.payload == [2] && item.attempts == 0 && item.lastError == nil)
            #expect(item.history.map(\.outcome) == ["failed"])

            // Handed back unstarted: the newer payload, the claim not counted.
            running = try #require(try await Self.claimFollow(stores[1]).first)
            #expect(running.payload == [2])
            try await finish(keyed(3))
            try await stores[1].release([running])
            item = try #require(try await Self.follows(stores[0]).first)
            #expect(item.state == .pending && item.payload == [3] && item.attempts == 0)

            // Its owner lost: rescued with the newer payload, looking first.
            let lost = try #require(
                try await stores[1].claim(owner: "dead", kinds: [Self.follow], limit: 1, lease: .milliseconds(1)).first
            )
            try await finish(keyed(4))
            #expect(try await eventually { try await stores[0].rescueExpiredLeases() == 1 })
            let taken = try #require(try await Self.claimFollow(stores[0]).first)
            #expect(taken.payload == [4] && taken.uncertain && taken.fence > lost.fence)
            #expect(try await Self.follows(stores[1]).count == 1)
        }
    }
}
