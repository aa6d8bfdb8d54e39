import AsyncHTTPClient
import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

/// The database itself stopped under two replicas mid-burst and started again: a suite of its own, with a
/// server of its own, so that it runs beside the other replica tests rather than after them.
@Suite(.timeLimit(.minutes(4)), .enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
struct PostgresOutageTests {
    @Test func postgresStoppedAndRestartedMidBurstLosesNoAcceptedDelivery() async throws {
        // A server of its own: this test stops it.
        let cluster = try PostgresTestCluster()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        try await standIn.whileRunning { terrakube in
            let setup = try ReplicaTests.setup(try cluster.createDatabase(), terrakubeURL: terrakube)
            defer { setup.remove() }
            let replicas = [try setup.start("a"), try setup.start("b")]
            let ports = [try await replicas[0].port(), try await replicas[1].port()]
            let client = ReplicaTests.client()
            var accepted: Set<String> = []
            var whileDown: [Int?] = []
            var afterRestart: [Int?] = []
            // Three deliveries while the database is down: each waits for the store's deadline (5 s) before
            // its 503.
            for index in 0..<350 {
                if index == 150 {
                    try cluster.stop(immediately: true)
                    // Three deliveries while the database is down, at once: each waits the store's deadline
                    // (5 s) before its 503.
                    whileDown = await withTaskGroup(of: Int?.self) { group in
                        for down in 0..<3 {
                            let delivery = ProcessLifecycleTests.delivery(1_000 + down)
                            group.addTask {
                                await ReplicaTests.post(
                                    client,
                                    port: ports[down % 2],
                                    body: delivery.body,
                                    headers: delivery.headers
                                )
                            }
                        }
                        return await group.reduce(into: []) { $0.append($1) }
                    }
                    try cluster.start()
                    // Both replicas come back by themselves, without a restart.
                    let restarted = ContinuousClock.now
                    for port in ports {
                        let ready = await eventually(within: .seconds(60)) {
                            await ReplicaTests.ready(client, port: port)
                        }
                        #expect(ready, "replica on \(port) did not come back by itself")
                    }
                    print("replicas ready \(ContinuousClock.now - restarted) after PostgreSQL restarted")
                }
                let delivery = ProcessLifecycleTests.delivery(index)
                let status = await ReplicaTests.post(
                    client,
                    port: ports[index % 2],
                    body: delivery.body,
                    headers: delivery.headers
                )
                if status == 202 { accepted.insert(delivery.commit) }
                if index >= 150 { afterRestart.append(status) }
            }
            // Never a 202 while the database is down: the host retries a 503.
            #expect(
                whileDown.count == 3 && whileDown.allSatisfy { $0 == 503 },
                "answers while down: \(Set(whileDown.map { "\($0 ?? 0)" }))"
            )
            #expect(afterRestart.allSatisfy { $0 == 202 }, "answers after: \(Set(afterRestart.map { "\($0 ?? 0)" }))")
            #expect(accepted.count == 350)
            let allThere = await eventually(within: .seconds(60)) {
                let counts = ProcessLifecycleTests.jobCounts(standIn)
                return accepted.allSatisfy { counts[$0] != nil }
            }
            #expect(allThere)
            try? await client.shutdown()
            try await ReplicaTests.stop(replicas)
            let counts = ProcessLifecycleTests.jobCounts(standIn)
            #expect(counts.values.allSatisfy { $0 == 1 })
            #expect(accepted.allSatisfy { counts[$0] == 1 })
        }
        try? cluster.stop(immediately: true)
    }
}
