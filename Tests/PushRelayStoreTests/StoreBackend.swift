import Foundation
import Logging
import PushRelayCore
import PushRelayTestSupport
import Testing

@testable import PushRelayStore

/// The stores the behaviour suite runs against: the reference store in memory, whose rules the others are
/// held to, and each SQL store on a real database: a SQLite file in a temporary folder, or a fresh
/// database on a throwaway PostgreSQL server on loopback.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    var testDescription: String { self.rawValue }

    /// The backends this machine can run: PostgreSQL's only where its server is installed (or required).
    static var available: [StoreBackend] {
        PostgresTestCluster.isAvailable ? Self.allCases : Self.allCases.filter { $0 != .postgres }
    }

    /// Runs `body` with `count` store instances open on one new, empty database (as `count` processes
    /// sharing it would have), then closes them.
    func withStores(_ count: Int = 1, _ body: ([any DeliveryStore]) async throws -> Void) async throws {
        let logger = Logger(label: "test")
        switch self {
        case .memory:
            // One store is one database: every "instance" is the same actor.
            let store = InMemoryDeliveryStore()
            try await body(Array(repeating: store, count: count))
        case .sqlite:
            let directory = NSTemporaryDirectory() + "pushrelay-store-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var stores: [SQLiteDeliveryStore] = []
            do {
                for _ in 0..<count {
                    stores.append(try await SQLiteDeliveryStore.open(path: directory + "/store.sqlite", logger: logger))
                }
                try await body(stores)
            } catch {
                for store in stores { try? await store.close() }
                throw error
            }
            for store in stores { try await store.close() }
        case .postgres:
            let settings = try Self.newPostgresDatabase()
            try await Self.nest(count, [], settings: settings, logger: logger, body)
        }
    }

    /// A new, empty database on the shared test server.
    static func newPostgresDatabase() throws -> PostgresSettings {
        try PostgresSettings.parse(try PostgresTestCluster.shared().createDatabase()).get()
    }

    private static func nest(
        _ remaining: Int,
        _ opened: [any DeliveryStore],
        settings: PostgresSettings,
        logger: Logger,
        _ body: ([any DeliveryStore]) async throws -> Void
    ) async throws {
        guard remaining > 0 else { return try await body(opened) }
        try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: logger) { store in
            try await self.nest(remaining - 1, opened + [store], settings: settings, logger: logger, body)
        }
    }
}

/// Deliveries for the store tests.
enum StorePlans {
    /// Jobs `ws-0`, `ws-1`, … on `branch`.
    static func jobs(_ count: Int, branch: String = "main") -> [JobSpec] {
        (0..<count).map {
            JobSpec(
                organization: "org",
                workspace: "ws-\($0)",
                template: "tpl",
                overrideBranch: branch,
                commitID: "abc",
                via: "Github"
            )
        }
    }

    /// A push delivery queuing `jobs` jobs (``jobs(_:branch:)``).
    static func plan(_ id: String, jobs: Int = 1, at date: Date = Date()) -> DeliveryPlan {
        self.plan(id, jobs: self.jobs(jobs), at: date)
    }

    /// A push delivery queuing the creation of each of `jobs`.
    static func plan(_ id: String, jobs: [JobSpec], at date: Date = Date()) -> DeliveryPlan {
        DeliveryPlan(
            record: self.record(id, decision: jobs.isEmpty ? .ignore : .queue, at: date),
            jobs: jobs,
            work: jobs.map { WorkType.testJob.work($0) }
        )
    }

    static func record(_ id: String, decision: DeliveryRecord.Decision, at date: Date = Date()) -> DeliveryRecord {
        DeliveryRecord(
            provider: .github,
            deliveryID: id,
            event: "push",
            receivedAt: date,
            repository: "github.com/acme/infra",
            ref: "refs/heads/main",
            decision: decision,
            reason: "test",
            signature: .valid,
            headers: WebhookHeaders([(name: "X-GitHub-Delivery", value: id)]),
            body: Array("{}".utf8)
        )
    }

    /// Pull request 7's plan for `head` (`nil`: a payload without one), in workspace `workspace`: queued
    /// once per head, and superseding its older heads' plans (keyed and grouped as
    /// ``PullRequestPlanKey`` keys and groups a Terrakube job's creation).
    static func plan(_ id: String, pullRequestHead head: String?, workspace: String = "ws-0") -> DeliveryPlan {
        var job = self.jobs(1)[0]
        job.workspace = workspace
        job.commitID = head ?? ""
        let plan = "github.com/acme/infra#7 \(workspace) tpl"
        var record = self.record(id, decision: .queue)
        record.event = "pull_request"
        record.ref = nil
        return DeliveryPlan(
            record: record,
            jobs: [job],
            work: [WorkType.testJob.work(job, key: head.map { plan + " " + $0 }, once: head != nil, group: plan)]
        )
    }
}
