import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `pushrelay serve` process, killed with SIGKILL or stopped with SIGTERM mid-burst, then
/// restarted on the same store: every delivery answered 202 becomes exactly one Terrakube job.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ProcessLifecycleTests {
    /// A config directory for the real process, pointing at the stand-in.
    struct Setup {
        let directory: String
        let environment: [String: String]

        init(
            terrakubeURL: String = "http://127.0.0.1:9",
            requestTimeoutSeconds: Int = 5,
            listen: String = "127.0.0.1:0",
            store: String? = nil,
            leaseSeconds: Int? = nil,
            retentionDays: Int? = nil,
            environment extraEnvironment: [String: String] = [:],
            service extra: String = ""
        ) throws {
            self.directory = NSTemporaryDirectory() + "pushrelay-process-" + UUID().uuidString
            try FileManager.default.createDirectory(
                atPath: self.directory + "/repos",
                withIntermediateDirectories: true
            )
            let service = """
                listen: "\(listen)"
                terrakube:
                  url: "\(terrakubeURL)"
                  token_env: TK_TOKEN
                  organization: "org-1"
                store:
                  \(store ?? "sqlite: \"\(self.directory)/data/pushrelay.sqlite\"")
                  \(retentionDays.map { "retention_days: \($0)" } ?? "")
                dispatch:
                  concurrency: 4
                  request_timeout_seconds: \(requestTimeoutSeconds)
                  lease_seconds: \(leaseSeconds ?? max(30, requestTimeoutSeconds * 2))
                \(extra)
                """
            try service.write(toFile: self.directory + "/pushrelay.yaml", atomically: true, encoding: .utf8)
            try RelayHarness.repositories["hello.yaml"]!.write(
                toFile: self.directory + "/repos/hello.yaml",
                atomically: true,
                encoding: .utf8
            )
            var environment = ProcessInfo.processInfo.environment
            environment["TK_TOKEN"] = RelayHarness.token
            environment["GH_SECRET"] = "topsecret"
            environment.merge(extraEnvironment) { $1 }
            self.environment = environment
        }

        /// Replicas on a fresh PostgreSQL database, short leases, with `service` and the Git hosts' token
        /// (`STATUS_TOKEN`).
        static func postgres(terrakubeURL: String, service: String) throws -> Setup {
            try Setup(
                terrakubeURL: terrakubeURL,
                requestTimeoutSeconds: 2,
                store: "postgres_url_env: PG_URL",
                leaseSeconds: 4,
                environment: [
                    "PG_URL": try PostgresTestCluster.shared().createDatabase(), "STATUS_TOKEN": "status-token",
                ],
                service: service
            )
        }

        func start(_ name: String, logFormat: String = "json") throws -> RelayProcess {
            try RelayProcess(
                configDirectory: self.directory,
                environment: self.environment,
                logPath: self.directory + "/\(name).log",
                logFormat: logFormat
            )
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: self.directory)
        }
    }

    /// A signed push for `master` whose commit sha encodes `index`, so each delivery's job is recognisable.
    static func delivery(_ index: Int) -> (body: [UInt8], headers: [(String, String)], commit: String) {
        let commit = String(format: "%040d", index)
        let text = String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
            .replacingOccurrences(of: "199eddf46df50de8d02e99bf1c5fdb4101338224", with: commit)
        let body = Array(text.utf8)
        return (body, RelayHarness.github(body, delivery: "burst-\(index)-\(UUID().uuidString)"), commit)
    }

    /// Sends deliveries `0..<count` from `clients` concurrent clients; calls `onAccepted` after each 202
    /// with the number accepted so far. Every delivery is sent, whether or not the process still runs.
    static func burst(
        port: Int,
        count: Int,
        clients: Int,
        onAccepted: @escaping @Sendable (Int) -> Void
    ) async -> (accepted: Set<String>, failed: Int) {
        let tally = BurstTally()
        // A refused connection (the process is gone) must fail at once, not be retried until the timeout.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<clients {
                group.addTask {
                    for index in stride(from: lane, to: count, by: clients) {
                        let delivery = Self.delivery(index)
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/github")
                        request.method = .POST
                        for (name, value) in delivery.headers { request.headers.add(name: name, value: value) }
                        request.body = .bytes(delivery.body)
                        do {
                            let response = try await client.execute(request, timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            if response.status.code == 202 {
                                onAccepted(tally.accept(delivery.commit))
                            } else {
                                tally.fail()
                            }
                        } catch {
                            tally.fail()  // refused or cut off: not accepted, and the burst goes on
                        }
                    }
                }
            }
        }
        try? await client.shutdown()
        return tally.result
    }

    /// Commit shas of the jobs the stand-in holds, with how many times each was created.
    static func jobCounts(_ standIn: TerrakubeStandIn) -> [String: Int] {
        standIn.jobs.reduce(into: [String: Int]()) { $0[$1.attributes["commitId"] ?? "", default: 0] += 1 }
    }

    /// A port already taken: the listener cannot bind, and the process exits 1 at once, saying so,
    /// instead of leaving the dispatcher and the store's upkeep running (they spun on cancellation).
    @Test func portInUseExitsWithAnError() async throws {
        let taken = try RawListener()
        let setup = try Setup(listen: "127.0.0.1:\(taken.port)")
        defer { setup.remove() }
        let relay = try setup.start("port-in-use")
        let status = try await relay.exitStatus(timeout: .seconds(15))
        #expect(status != nil && status != 0, "\(relay.logText().suffix(2000))")
        #expect(relay.logText().lowercased().contains("address already in use"))
        #expect(relay.logText().components(separatedBy: "\n").count < 50)
    }

    @Test func killedMidBurstLosesNothingAndDuplicatesNothing() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // The first creations answer 40 ms after creating the job; from the fifth on, Terrakube creates the
        // job and holds its answer until the process is gone, so that the kill always lands on calls in
        // flight whose jobs exist.
        let held = Gate()
        for _ in 0..<4 { standIn.inject(.createThenDelay(.milliseconds(40))) }
        for _ in 0..<400 { standIn.inject(.createThenHold(held)) }
        try await standIn.whileRunning { url in
            let setup = try Setup(terrakubeURL: url)
            defer { setup.remove() }
            let first = try setup.start("first")
            let port = try await first.port()
            let result = await Self.burst(port: port, count: 360, clients: 8) { total in
                guard total == 100 else { return }
                Task {
                    _ = await eventually(within: .seconds(20)) { standIn.jobs.count >= 5 }
                    first.signal(SIGKILL)
                }
            }
            #expect(try await first.exitStatus(timeout: .seconds(30)) != nil)
            held.open()
            #expect(result.accepted.count >= 100)
            #expect(result.accepted.count + result.failed == 360)
            #expect(result.failed > 0)  // the kill cut the burst short

            let second = try setup.start("second")
            _ = try await second.port()
            let allThere = await eventually(within: .seconds(60)) {
                let counts = Self.jobCounts(standIn)
                return result.accepted.allSatisfy { counts[$0] != nil }
            }
            if !allThere {
                let counts = Self.jobCounts(standIn)
                let missing = result.accepted.filter { counts[$0] == nil }.sorted()
                let problems = second.logLines().filter { ($0["level"] as? String) != "info" }.suffix(5)
                Issue.record("no job for \(missing.count) accepted deliveries, e.g. \(missing.prefix(3)); \(problems)")
            }
            // Nothing left to send in the store (no job pending or in flight): no duplicate can still come.
            let reader = try await SQLiteDeliveryReader.open(
                path: setup.directory + "/data/pushrelay.sqlite",
                logger: Logger(label: "test")
            )
            let settled = try await eventually(within: .seconds(30)) {
                let states = try await reader.jobCounts()
                return states[.pending] == nil && states[.running] == nil
            }
            try await reader.close()
            #expect(settled)
            second.signal(SIGTERM)
            #expect(try await second.exitStatus(timeout: .seconds(20)) == 0)

            let counts = Self.jobCounts(standIn)
            #expect(counts.values.allSatisfy { $0 == 1 }, "duplicates: \(counts.filter { $0.value > 1 })")
            #expect(result.accepted.allSatisfy { counts[$0] == 1 })
            let resumed = second.logLines().contains {
                ($0["msg"] as? String)?.hasPrefix("Resuming work interrupted") == true
            }
            // Calls in flight at the kill are resumed with a lookup first, and adopted: Terrakube had created
            // their jobs.
            #expect(resumed)
        }
    }

    @Test func killedBetweenTerrakubesAnswerAndTheRecordDoesNotCreateASecondJob() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // Terrakube creates the job at once but holds its 201 for 6 s: the process is killed meanwhile.
        standIn.inject(.createThenDelay(.seconds(6)))
        try await standIn.whileRunning { url in
            let setup = try Setup(terrakubeURL: url, requestTimeoutSeconds: 30)
            defer { setup.remove() }
            let first = try setup.start("first")
            let port = try await first.port()
            let result = await Self.burst(port: port, count: 1, clients: 1) { _ in }
            #expect(result.accepted.count == 1)
            #expect(await eventually(within: .seconds(10)) { standIn.jobs.count == 1 })
            first.signal(SIGKILL)
            #expect(try await first.exitStatus(timeout: .seconds(10)) != nil)

            let second = try setup.start("second")
            _ = try await second.port()
            let adopted = await eventually(within: .seconds(30)) {
                second.logLines().contains { $0["msg"] as? String == "Job found in Terrakube, adopted" }
            }
            #expect(adopted)
            second.signal(SIGTERM)
            #expect(try await second.exitStatus(timeout: .seconds(20)) == 0)
            #expect(standIn.jobs.count == 1)
            #expect(standIn.jobRequests.count == 1)
            #expect(standIn.requests.filter { $0.method == "GET" }.count == 1)
        }
    }

    @Test func sigtermMidBurstExitsCleanlyAndResumesOnRestart() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // Slow job creation keeps a queue behind the dispatcher when the signal comes.
        for _ in 0..<200 { standIn.inject(.delay(.milliseconds(50))) }
        try await standIn.whileRunning { url in
            let setup = try Setup(terrakubeURL: url)
            defer { setup.remove() }
            let first = try setup.start("first")
            let port = try await first.port()
            let result = await Self.burst(port: port, count: 200, clients: 4) { total in
                if total == 100 { first.signal(SIGTERM) }
            }
            // The burst ends as soon as the listener closes. Exit is then bounded: requests in flight are
            // answered, and the dispatcher finishes at most 4 calls of 50 ms.
            let signalled = ContinuousClock.now
            #expect(try await first.exitStatus(timeout: .seconds(15)) == 0)
            #expect(ContinuousClock.now - signalled < .seconds(5))
            #expect(first.logLines().contains { $0["msg"] as? String == "Stopped" })
            #expect(result.accepted.count >= 100)
            let createdBeforeRestart = Self.jobCounts(standIn).count
            #expect(createdBeforeRestart < result.accepted.count)  // some were still pending at the signal

            let second = try setup.start("second")
            _ = try await second.port()
            let allThere = await eventually(within: .seconds(60)) {
                let counts = Self.jobCounts(standIn)
                return result.accepted.allSatisfy { counts[$0] != nil }
            }
            #expect(allThere)
            second.signal(SIGTERM)
            #expect(try await second.exitStatus(timeout: .seconds(20)) == 0)
            let counts = Self.jobCounts(standIn)
            #expect(counts.values.allSatisfy { $0 == 1 })
            #expect(result.accepted.allSatisfy { counts[$0] == 1 })
        }
    }
}

/// What a burst's clients saw; `accept` returns how many were accepted so far (each total once).
private final class BurstTally: Sendable {
    private let state = Mutex<(accepted: Set<String>, failed: Int)>(([], 0))

    func accept(_ commit: String) -> Int {
        self.state.withLock { state in
            state.accepted.insert(commit)
            return state.accepted.count
        }
    }

    func fail() {
        self.state.withLock { $0.failed += 1 }
    }

    var result: (accepted: Set<String>, failed: Int) { self.state.withLock { $0 } }
}
