import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

@testable import PushRelayStore

/// Compare-and-set documents on every backend, through each pull request's plan comment (SPEC section 13):
/// two replicas putting sections at once lose neither; a newer head replaces an older one's sections and
/// keeps the comment's reference; an older head changes nothing. Retention prunes them by age.
@Suite(.serialized)
struct DocumentContractTests {
    static let pull = PullRequestID(repository: "github.com/acme/infra", number: 7)

    @Test(arguments: StoreBackend.available)
    func sectionsAreKeptPerHeadAndTheReferenceSurvivesANewHead(_ backend: StoreBackend) async throws {
        try await backend.withStores(1) { stores in
            let store = stores[0]
            #expect(try await store.planComment(Self.pull) == nil)
            let t0 = Date(timeIntervalSince1970: 1_000)
            let first = try #require(
                try await store.putPlanSection(
                    PlanSection(workspace: "prod", state: "running"),
                    head: "a",
                    planned: t0,
                    of: Self.pull
                )
            )
            #expect(first.sections.map(\.workspace) == ["prod"])
            // The same section again changes nothing.
            #expect(
                try await store.putPlanSection(
                    PlanSection(workspace: "prod", state: "running"),
                    head: "a",
                    planned: t0,
                    of: Self.pull
                ) == nil
            )
            _ = try await store.putPlanSection(
                PlanSection(workspace: "dev", state: "completed"),
                head: "a",
                planned: t0,
                of: Self.pull
            )

            // Posted: the reference is kept.
            let (stored, version) = try #require(try await store.planComment(Self.pull))
            var posted = stored
            posted.reference = "42"
            #expect(try await store.writePlanComment(Self.pull, posted, replacing: version))
            #expect(try await store.writePlanComment(Self.pull, posted, replacing: version) == false)

            // A newer head starts afresh under the same comment; an older one changes nothing.
            let t1 = t0.addingTimeInterval(60)
            let newer = try #require(
                try await store.putPlanSection(
                    PlanSection(workspace: "prod", state: "queued"),
                    head: "b",
                    planned: t1,
                    of: Self.pull
                )
            )
            #expect(newer.head == "b")
            #expect(newer.sections.map(\.workspace) == ["prod"])
            #expect(newer.reference == "42")
            #expect(
                try await store.putPlanSection(
                    PlanSection(workspace: "dev", state: "failed"),
                    head: "a",
                    planned: t0,
                    of: Self.pull
                ) == nil
            )
            #expect(try await store.planComment(Self.pull)?.comment == newer)
        }
    }

    /// Two stores (two replicas on PostgreSQL) putting different workspaces' sections at once: both kept.
    @Test(arguments: StoreBackend.available)
    func concurrentSectionsAreAllKept(_ backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let planned = Date(timeIntervalSince1970: 2_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    let store = stores[index % stores.count]
                    group.addTask {
                        _ = try await store.putPlanSection(
                            PlanSection(workspace: "ws-\(index)", state: "completed"),
                            head: "h",
                            planned: planned,
                            of: Self.pull
                        )
                    }
                }
                try await group.waitForAll()
            }
            let sections = try #require(try await stores[0].planComment(Self.pull)).comment.sections
            #expect(Set(sections.map(\.workspace)) == Set((0..<8).map { "ws-\($0)" }))
        }
    }

    /// Retention removes documents not written since its cutoff, a batch at a time.
    @Test(arguments: StoreBackend.available)
    func documentsNotWrittenSinceTheCutoffArePruned(_ backend: StoreBackend) async throws {
        try await backend.withStores(1) { (stores: [any DeliveryStore]) async throws in
            let store = stores[0]
            let keys = [DocumentKey(.statusSummary, "a"), DocumentKey(.statusSummary, "b")]
            for key in keys {
                #expect(try await store.writeDocument(key, "{}", replacing: nil))
                #expect(try await store.writeDocument(key, "{}", replacing: nil) == false)
            }
            // Written since an hour ago: kept.
            #expect(try await store.pruneDocuments(writtenBefore: Date().addingTimeInterval(-3_600), limit: 10) == 0)
            // Before a cutoff to come, a batch of one, then the other.
            let cutoff = Date().addingTimeInterval(3_600)
            #expect(try await store.pruneDocuments(writtenBefore: cutoff, limit: 1) == 1)
            #expect(try await store.pruneDocuments(writtenBefore: cutoff, limit: 10) == 1)
            for key in keys { #expect(try await store.document(key) == nil) }
        }
    }
}
