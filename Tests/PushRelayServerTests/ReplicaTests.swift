import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PushRelayCore
import PushRelayTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real `pushrelay serve` processes sharing one PostgreSQL database (SPEC section 9): started together,
/// killed, frozen, stopped, and the database itself stopped under them. Every delivery answered 202 becomes
/// exactly one Terrakube job.
@Suite(.serialized, .timeLimit(.minutes(4)), .enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
struct ReplicaTests {
    typealias Setup = ProcessLifecycleTests.Setup

    /// A config directory for replicas of one service on `database` (a URL on `cluster`).
    static func setup(
        _ url: String,
        terrakubeURL: String = "http://127.0.0.1:9",
        requestTimeoutSeconds: Int = 2,
        leaseSeconds: Int = 4
    ) throws -> Setup {
        try Setup(
            terrakubeURL: terrakubeURL,
            requestTimeoutSeconds: requestTimeoutSeconds,
            store: "postgres_url_env: PG_URL",
            leaseSeconds: leaseSeconds,
            environment: ["PG_URL": url]
        )
    }

    static func client() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The status of one signed delivery, or `nil` when the connection failed.
    static func post(
        _ client: HTTPClient,
        port: Int,
        body: [UInt8],
        headers: [(String, String)]
    ) async -> Int? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/github")
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 16)
            return Int(response.status.code)
        } catch {
            return nil
        }
    }

    static func ready(_ client: HTTPClient, port: Int) async -> Bool {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz")
        request.method = .GET
        guard let response = try? await client.execute(request, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status.code == 200
    }

    static func stop(_ replicas: [RelayProcess]) async throws {
        for replica in replicas { replica.signal(SIGTERM) }
        for replica in replicas { _ = try await replica.exitStatus(timeout: .seconds(30)) }
    }

    @Test func fourReplicasStartingAtOnceOnAnEmptyDatabaseAllComeUpAndMigrateOnce() async throws {
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.createDatabase()
        let setup = try Self.setup(url)
        defer { setup.remove() }
        let replicas = try (0..<4).map { try setup.start("replica-\($0)") }
        let client = Self.client()
        var ports: [Int] = []
        for replica in replicas { ports.append(try await replica.port()) }
        for port in ports {
            let ready = await eventually(within: .seconds(20)) {
                await Self.ready(client, port: port)
            }
            #expect(ready)
        }
        let database = String(url.split(separator: "/").last!)
        // One row per schema step (versions 4 to 7), each applied once.
        #expect(try cluster.psql(database, "SELECT count(*) FROM pushrelay.schema_version") == "4")
        try? await client.shutdown()
        try await Self.stop(replicas)
        #expect(replicas.allSatisfy { $0.logLines().contains { $0["msg"] as? String == "Stopped" } })
    }

    @Test func theSameDeliveryAtBothReplicasAtOnceIsAcceptedOnce() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        try await standIn.whileRunning { terrakube in
            let setup = try Self.setup(try PostgresTestCluster.shared().createDatabase(), terrakubeURL: terrakube)
            defer { setup.remove() }
            let replicas = [try setup.start("a"), try setup.start("b")]
            let ports = [try await replicas[0].port(), try await replicas[1].port()]
            let client = Self.client()
            var accepted = 0
            for round in 0..<40 {
                let delivery = ProcessLifecycleTests.delivery(round)
                // Two copies to each replica, all four at the same instant.
                let statuses = await withTaskGroup(of: Int?.self) { group in
                    for copy in 0..<4 {
                        group.addTask {
                            await Self.post(
                                client,
                                port: ports[copy % 2],
                                body: delivery.body,
                                headers: delivery.headers
                            )
                        }
                    }
                    return await group.reduce(into: [Int?]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 202 }.count == 1, "round \(round): \(statuses)")
                #expect(statuses.filter { $0 == 200 }.count == 3, "round \(round): \(statuses)")
                accepted += statuses.filter { $0 == 202 }.count
            }
            let allCreated = await eventually(within: .seconds(30)) { standIn.jobs.count >= accepted }
            #expect(allCreated)
            try? await client.shutdown()
            try await Self.stop(replicas)
            let counts = ProcessLifecycleTests.jobCounts(standIn)
            #expect(counts.count == 40)
            #expect(counts.values.allSatisfy { $0 == 1 }, "duplicates: \(counts.filter { $0.value > 1 })")

            // `deliveries` reads the same database, with only the URL's variable set.
            let environment = ["PG_URL": setup.environment["PG_URL"] ?? ""]
            let list = try await RelayProcess.run(
                ["deliveries", "list", "--config", setup.directory, "--limit", "100", "--json"],
                environment: environment
            )
            #expect(list.status == 0, "\(list.stderr)")
            let listed = list.stdout.split(separator: "\n").filter { $0.contains("\"burst-") }
            #expect(listed.count == 40)
            let shown = try await RelayProcess.run(
                ["deliveries", "list", "--config", setup.directory, "--limit", "100"],
                environment: environment
            )
            #expect(shown.status == 0 && shown.stdout.contains("burst-7-"), "\(shown.stdout.prefix(500))")
        }
    }

    @Test func aReplicaKilledMidBurstHasItsJobsFinishedByTheOtherOnce() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // Every creation answers 40 ms after it has created the job: the kill lands in that window often.
        for _ in 0..<1200 { standIn.inject(.createThenDelay(.milliseconds(40))) }
        try await standIn.whileRunning { terrakube in
            let cluster = try PostgresTestCluster.shared()
            let url = try cluster.createDatabase()
            let database = String(url.split(separator: "/").last!)
            let setup = try Self.setup(url, terrakubeURL: terrakube)
            defer { setup.remove() }
            let replicas = [try setup.start("doomed"), try setup.start("survivor")]
            let ports = [try await replicas[0].port(), try await replicas[1].port()]
            let client = Self.client()
            let tally = Tally()
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        for index in stride(from: lane, to: 1000, by: 8) {
                            let delivery = ProcessLifecycleTests.delivery(index)
                            let status = await Self.post(
                                client,
                                port: ports[index % 2],
                                body: delivery.body,
                                headers: delivery.headers
                            )
                            let accepted = tally.count(status == 202 ? delivery.commit : nil)
                            if accepted == 300, status == 202 { replicas[0].signal(SIGKILL) }
                        }
                    }
                }
            }
            let result = tally.result
            #expect(try await replicas[0].exitStatus(timeout: .seconds(10)) != nil)
            // The claims the dead replica held (its owner name carries its pid): the survivor's to take over.
            let held = try cluster.psql(
                database,
                "SELECT count(*) FROM pushrelay.work WHERE state = 'running' AND owner LIKE '%/\(replicas[0].pid)/%'"
            )
            #expect(result.accepted.count >= 500)
            #expect(result.failed > 0)  // the kill refused what was sent to it afterwards
            let allThere = await eventually(within: .seconds(90)) {
                let counts = ProcessLifecycleTests.jobCounts(standIn)
                return result.accepted.allSatisfy { counts[$0] != nil }
            }
            #expect(allThere)
            try? await client.shutdown()
            try await Self.stop([replicas[1]])
            let counts = ProcessLifecycleTests.jobCounts(standIn)
            #expect(counts.values.allSatisfy { $0 == 1 }, "duplicates: \(counts.filter { $0.value > 1 })")
            #expect(result.accepted.allSatisfy { counts[$0] == 1 })
            // Whatever the dead replica held at the kill was rescued (its lease ran out) and finished once.
            let rescued = try cluster.psql(
                database,
                "SELECT count(*) FROM pushrelay.work_attempts WHERE outcome = 'interrupted'"
            )
            #expect(Int(rescued) ?? -1 >= Int(held) ?? 0, "held \(held) at the kill, rescued \(rescued)")
            if (Int(held) ?? 0) > 0 {
                let tookOver = replicas[1].logLines().contains {
                    ($0["msg"] as? String)?.hasPrefix("Resuming work interrupted") == true
                }
                #expect(tookOver, "the survivor never rescued the dead replica's leases")
            }
        }
    }

    @Test func aFrozenReplicaRecordsNothingOverTheOneThatTookOver() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // Terrakube creates the job at once and holds its 201 for 8 s; the owner is frozen meanwhile.
        standIn.inject(.createThenDelay(.seconds(8)))
        try await standIn.whileRunning { terrakube in
            let setup = try Self.setup(
                try PostgresTestCluster.shared().createDatabase(),
                terrakubeURL: terrakube,
                requestTimeoutSeconds: 10,
                leaseSeconds: 20
            )
            defer { setup.remove() }
            let frozen = try setup.start("frozen")
            let port = try await frozen.port()
            let client = Self.client()
            let delivery = ProcessLifecycleTests.delivery(1)
            #expect(await Self.post(client, port: port, body: delivery.body, headers: delivery.headers) == 202)
            #expect(await eventually(within: .seconds(10)) { standIn.jobs.count == 1 })
            frozen.signal(SIGSTOP)
            let other = try setup.start("other")
            _ = try await other.port()
            // After the lease (20 s), the other replica looks the job up and adopts the one Terrakube has.
            let adopted = await eventually(within: .seconds(60)) {
                other.logLines().contains { $0["msg"] as? String == "Job found in Terrakube, adopted" }
            }
            #expect(adopted)
            frozen.signal(SIGCONT)
            let dropped = await eventually(within: .seconds(30)) {
                frozen.logLines().contains {
                    ($0["msg"] as? String)?.hasPrefix("Work taken over by another process") == true
                }
            }
            #expect(dropped, "the frozen replica's late outcome was not refused")
            try? await client.shutdown()
            try await Self.stop([frozen, other])
            #expect(standIn.jobs.count == 1)
            #expect(standIn.jobRequests.count == 1)
        }
    }

    @Test func aReplicaStoppedMidBurstHandsItsQueueToTheOtherAtOnce() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        for _ in 0..<300 { standIn.inject(.delay(.milliseconds(100))) }
        try await standIn.whileRunning { terrakube in
            // A lease far longer than the test: only jobs handed back at once can be finished in time.
            let setup = try Self.setup(
                try PostgresTestCluster.shared().createDatabase(),
                terrakubeURL: terrakube,
                requestTimeoutSeconds: 5,
                leaseSeconds: 600
            )
            defer { setup.remove() }
            let stopping = try setup.start("stopping")
            let port = try await stopping.port()
            let client = Self.client()
            var accepted: Set<String> = []
            for index in 0..<120 {
                let delivery = ProcessLifecycleTests.delivery(index)
                if await Self.post(client, port: port, body: delivery.body, headers: delivery.headers) == 202 {
                    accepted.insert(delivery.commit)
                }
            }
            #expect(accepted.count == 120)
            let other = try setup.start("other")
            _ = try await other.port()
            stopping.signal(SIGTERM)
            #expect(try await stopping.exitStatus(timeout: .seconds(20)) == 0)
            let allThere = await eventually(within: .seconds(120)) {
                let counts = ProcessLifecycleTests.jobCounts(standIn)
                return accepted.allSatisfy { counts[$0] != nil }
            }
            #expect(allThere)
            try? await client.shutdown()
            try await Self.stop([other])
            let counts = ProcessLifecycleTests.jobCounts(standIn)
            #expect(counts.values.allSatisfy { $0 == 1 })
        }
    }
}

/// What a burst's clients saw, counted from all of them at once.
private final class Tally: Sendable {
    private let state = Mutex<(accepted: Set<String>, failed: Int)>(([], 0))

    /// Counts one answer: accepted with its commit, or failed (`nil`); returns how many were accepted so far.
    func count(_ accepted: String?) -> Int {
        self.state.withLock { state in
            if let accepted { state.accepted.insert(accepted) } else { state.failed += 1 }
            return state.accepted.count
        }
    }

    var result: (accepted: Set<String>, failed: Int) { self.state.withLock { $0 } }
}
