import Foundation
import Logging
import PushRelayCore
import PushRelayStore
import PushRelayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Retention in the real `serve` process: what is older than `store.retention_days` and done is pruned at
/// start, and the rest is kept.
@Suite(.timeLimit(.minutes(2)))
struct RetentionTests {
    @Test func servePrunesDeliveriesPastTheRetentionAndKeepsTheRest() async throws {
        let setup = try ProcessLifecycleTests.Setup(retentionDays: 7)
        defer { setup.remove() }
        let path = setup.directory + "/data/pushrelay.sqlite"
        try FileManager.default.createDirectory(atPath: setup.directory + "/data", withIntermediateDirectories: true)
        // Written before serve starts, as months of traffic would have left them.
        let store = try await SQLiteDeliveryStore.open(path: path, logger: Logger(label: "test"))
        let day = 86_400.0
        for index in 0..<1_200 {
            _ = try await store.record(Self.ignored("old-\(index)", at: Date() - (8 + Double(index) / 1_000) * day))
        }
        _ = try await store.record(Self.ignored("recent-1", at: Date() - 6 * day))
        try await store.close()

        let relay = try setup.start("retention")
        _ = try await relay.port()
        // More than two batches of 500, so the sweep goes round.
        #expect(await eventually(within: .seconds(30)) { relay.logText().contains("Pruned old deliveries") })
        let pruned = relay.logLines().first { $0["msg"] as? String == "Pruned old deliveries" }
        #expect(pruned?["relay.pruned"] as? String == "1200")
        let list = try await RelayProcess.run(["deliveries", "list", "--config", setup.directory, "--json"])
        let ids = list.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["delivery"] as? String
        }
        #expect(ids == ["recent-1"])
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus(timeout: .seconds(20)) == 0)
    }

    static func ignored(_ id: String, at date: Date) -> DeliveryPlan {
        DeliveryPlan(
            record: DeliveryRecord(
                provider: .github,
                deliveryID: id,
                event: "push",
                receivedAt: date,
                repository: "github.com/codertocat/hello-world",
                ref: "refs/heads/other",
                decision: .ignore,
                reason: "no route matches",
                signature: .valid,
                headers: WebhookHeaders([(name: "X-GitHub-Delivery", value: id)]),
                body: Array("{}".utf8)
            )
        )
    }
}
