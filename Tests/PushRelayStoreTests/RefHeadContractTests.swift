import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

@testable import PushRelayStore

/// The remembered heads (SPEC section 12) on every backend: a push moves its ref's head with its delivery;
/// a push whose commit is the head already asks for nothing; one that starts elsewhere is queued and leaves
/// the head; a baseline remembers without replacing; two replicas recording one commit at once queue it
/// once.
@Suite(.serialized)
struct RefHeadContractTests {
    static let repository = "github.com/acme/infra"

    /// Delivery `id`: a push of `ref` from `before` to `after` asking for one job per workspace.
    static func push(
        _ id: String,
        ref: String = "refs/heads/main",
        before: String?,
        after: String,
        workspaces: [String] = ["ws-0"]
    ) -> DeliveryPlan {
        let jobs = workspaces.map {
            JobSpec(
                organization: "org",
                workspace: $0,
                template: "tpl",
                overrideBranch: "main",
                commitID: after,
                via: "Github"
            )
        }
        var plan = StorePlans.plan(id, jobs: jobs)
        plan.workJobs = Array(jobs.indices)
        plan.record.reason = "matched"
        plan.refs = [
            PlannedRef(
                move: HeadMove(repository: Self.repository, ref: ref, before: before, after: after),
                jobs: Array(jobs.indices),
                reason: "matched",
                orderCheckable: true
            )
        ]
        return plan
    }

    static func settled(_ result: RecordResult) throws -> DeliveryPlan {
        guard case .recorded(_, let plan) = result else { throw Duplicate() }
        return plan
    }

    struct Duplicate: Error {}

    @Test(arguments: StoreBackend.available)
    func aPushMovesItsHeadAndTheSameCommitAgainAsksForNothing(_ backend: StoreBackend) async throws {
        try await backend.withStores(1) { stores in
            let store = stores[0]
            let first = try Self.settled(try await store.record(Self.push("d-1", before: nil, after: "a1")))
            #expect(first.jobs.count == 1)
            #expect(try await store.heads(of: Self.repository).heads == ["refs/heads/main": "a1"])

            // The same commit under another id (a recovered push, a webhook sent again): recorded, nothing
            // queued, and the answer says why.
            let again = try Self.settled(try await store.record(Self.push("d-2", before: nil, after: "a1")))
            #expect(again.jobs.isEmpty)
            #expect(again.record.decision == .queue)
            #expect(again.record.reason == "already queued for a1")
            #expect(
                again.answer
                    == .init(httpStatus: 202, status: "queued", delivery: "d-2", jobs: 0, reason: again.record.reason)
            )
            #expect(try await store.work(provider: .github, deliveryID: "d-2").isEmpty)
            let listed = try await store.deliveries(withID: "d-2", provider: .github)
            #expect(listed.map(\.summary.decision) == ["queue"])

            // From the head: a plain push; then a force-push back to an older commit is a new head too.
            let next = try Self.settled(try await store.record(Self.push("d-3", before: "a1", after: "b2")))
            #expect(next.jobs.count == 1)
            let reset = try Self.settled(try await store.record(Self.push("d-4", before: "b2", after: "a1")))
            #expect(reset.jobs.count == 1)
            #expect(try await store.heads(of: Self.repository).heads == ["refs/heads/main": "a1"])
            #expect(try await store.testJobCounts()[.pending] == 3)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aPushFromElsewhereIsQueuedAndLeavesTheHead(_ backend: StoreBackend) async throws {
        try await backend.withStores(1) { stores in
            let store = stores[0]
            _ = try await store.record(Self.push("d-1", before: "x0", after: "c3"))
            let late = try Self.settled(try await store.record(Self.push("d-2", before: "x0", after: "b2")))
            // Its job waits in an order check, holding the creation; the answer counts none yet.
            #expect(late.jobs.isEmpty)
            #expect(
                late.record.reason == "out of order: refs/heads/main is at c3; queued once the host says b2 is newer"
            )
            let work = try await store.work(provider: .github, deliveryID: "d-2")
            #expect(work.map(\.kind) == [OrderCheck.type.kind])
            let check = try OrderCheck.type.payload(work[0].payload)
            #expect(check.remembered == "c3")
            #expect(check.commit == "b2")
            #expect(check.held.map(\.work) == Self.push("d-2", before: "x0", after: "b2").work)
            #expect(try await store.heads(of: Self.repository).heads == ["refs/heads/main": "c3"])

            // Found newer: the head moves only from where it was.
            let key = HeadKey(repository: Self.repository, ref: "refs/heads/main")
            #expect(try await store.moveHead(key, from: "x9", to: "b2") == false)
            #expect(try await store.moveHead(key, from: "c3", to: "b2"))
            #expect(try await store.heads(of: Self.repository).heads == ["refs/heads/main": "b2"])
            let fresh = HeadKey(repository: Self.repository, ref: "refs/heads/new")
            #expect(try await store.moveHead(fresh, from: nil, to: "n1"))
            #expect(try await store.moveHead(fresh, from: nil, to: "n2") == false)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aDeletionIsRememberedAndACreationAfterItIsNew(_ backend: StoreBackend) async throws {
        try await backend.withStores(1) { stores in
            let store = stores[0]
            _ = try await store.record(Self.push("d-1", ref: "refs/heads/old", before: nil, after: "a1"))
            let gone = try Self.settled(
                try await store.record(Self.push("d-2", ref: "refs/heads/old", before: "a1", after: HeadMove.deleted))
            )
            #expect(gone.jobs.count == 1)
            let again = try Self.settled(
                try await store.record(Self.push("d-3", ref: "refs/heads/old", before: "a1", after: HeadMove.deleted))
            )
            #expect(again.jobs.isEmpty)
            #expect(again.record.reason == "already queued: refs/heads/old deleted")
            let created = try Self.settled(
                try await store.record(Self.push("d-4", ref: "refs/heads/old", before: nil, after: "b2"))
            )
            #expect(created.jobs.count == 1)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aDuplicateMovesNothingAndABaselineKeepsWhatWebhooksSaid(_ backend: StoreBackend) async throws {
        try await backend.withStores(1) { stores in
            let store = stores[0]
            #expect(try await store.heads(of: Self.repository) == RememberedHeads(baselined: false, heads: [:]))
            _ = try await store.record(Self.push("d-1", before: nil, after: "a1"))
            #expect(try await store.record(Self.push("d-1", before: "a1", after: "b2")) == .duplicate)
            try await store.baseline(Self.repository, heads: ["refs/heads/main": "zz", "refs/tags/v1": "t1"])
            #expect(
                try await store.heads(of: Self.repository)
                    == RememberedHeads(baselined: true, heads: ["refs/heads/main": "a1", "refs/tags/v1": "t1"])
            )
            #expect(try await store.heads(of: "github.com/acme/other").baselined == false)
        }
    }

    /// Two replicas (or a webhook and a poll) recording the same new commit at once: one queues it.
    @Test(arguments: StoreBackend.available)
    func theSameCommitRecordedAtOnceIsQueuedOnce(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            for round in 0..<5 {
                let commit = "c\(round)"
                let results = try await withThrowingTaskGroup(of: DeliveryPlan.self) { group in
                    for index in 0..<8 {
                        let store = stores[index % 2]
                        group.addTask {
                            try Self.settled(
                                try await store.record(
                                    Self.push(
                                        "r\(round)-\(index)",
                                        before: round == 0 ? nil : "c\(round - 1)",
                                        after: commit
                                    )
                                )
                            )
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.filter { !$0.jobs.isEmpty }.count == 1, "round \(round)")
            }
            #expect(try await stores[0].testJobCounts()[.pending] == 5)
        }
    }

    /// Recovery's rounds: work no delivery brought, one keyed item per repository, queued again each
    /// interval, taken by one owner at a time.
    @Test(arguments: StoreBackend.available)
    func aRoundQueuedWithoutADeliveryIsOneItemTakenOnceAndQueuedAgain(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let kind: WorkKind = "test.round"
            let round = NewWork(kind: kind, payload: Array(Self.repository.utf8), key: Self.repository)
            try await stores[0].enqueue([round])
            try await stores[1].enqueue([round])
            let first = try await stores[0].claim(owner: "a", kinds: [kind], limit: 5, lease: .seconds(30))
            #expect(first.count == 1)
            #expect(first.first?.provider == nil)
            // Queued again while it runs: the other replica still cannot take it.
            try await stores[1].enqueue([round])
            #expect(try await stores[1].claim(owner: "b", kinds: [kind], limit: 5, lease: .seconds(30)).isEmpty)
            let done = WorkOutcome.done(result: nil, label: .done, detail: nil, next: [])
            #expect(try await stores[0].finish(first[0], outcome: done))
            // The payload queued meanwhile makes it due again.
            let again = try await stores[1].claim(owner: "b", kinds: [kind], limit: 5, lease: .seconds(30))
            #expect(again.map(\.id) == first.map(\.id))
        }
    }
}
