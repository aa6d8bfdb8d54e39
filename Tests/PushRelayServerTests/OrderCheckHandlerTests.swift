import AsyncHTTPClient
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import Testing

/// The order check on the reference store, attempt by attempt: what a retry does when it finds the head on
/// the push's commit already.
struct OrderCheckHandlerTests {
    static let repository = "github.com/codertocat/hello-world"
    static let ref = "refs/heads/master"

    static func check(held: [NewWork]) -> OrderCheck {
        OrderCheck(
            repository: Self.repository,
            ref: Self.ref,
            commit: String(repeating: "b", count: 40),
            remembered: String(repeating: "a", count: 40),
            held: held.map(HeldWork.init)
        )
    }

    static func claimed(_ check: OrderCheck, uncertain: Bool) -> ClaimedWork {
        ClaimedWork(
            id: 1,
            fence: 2,
            kind: OrderCheck.type.kind,
            payload: OrderCheck.type.work(check).payload,
            attempts: 1,
            provider: .github,
            deliveryID: "late-1",
            queuedAt: Date(),
            uncertain: uncertain
        )
    }

    /// An attempt that moved the head and died before finishing leaves the item uncertain: its retry
    /// queues the held work rather than take the push for one queued by another delivery.
    @Test func aRetryAfterAnInterruptedAttemptQueuesTheHeldWork() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-order-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try RelayHarness.writeConfig(directory, terrakubeURL: "http://127.0.0.1:9")
        let store = InMemoryDeliveryStore()
        // Where the interrupted attempt left the head: on the push's commit.
        try await store.baseline(Self.repository, heads: [Self.ref: String(repeating: "b", count: 40)])
        let held = [WorkType<String>("test.held").work("the push's job")]
        let check = Self.check(held: held)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let handler = OrderCheckHandler(
            config: ConfigHolder(config),
            hosts: try GitHosts(config.settings, client: client),
            store: store
        )
        let logger = Logger(label: "test")

        let retried = try await handler.attempt(Self.claimed(check, uncertain: true), logger: logger)
        #expect(retried.next == held)
        #expect(retried.name == "done")

        // A check whose earlier attempts all finished: another delivery moved the head, and queued its jobs.
        let settled = try await handler.attempt(Self.claimed(check, uncertain: false), logger: logger)
        #expect(settled.next.isEmpty)
        if case .done(_, _, let detail, _) = settled {
            #expect(detail == "already queued for \(check.commit): nothing queued")
        } else {
            Issue.record("not done: \(settled)")
        }
        try await client.shutdown()
    }
}
