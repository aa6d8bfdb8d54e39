import AsyncHTTPClient
import Foundation
import Logging
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import SQLiteNIO
import Testing

/// Nothing acknowledged is lost and each job is created once, with Terrakube and the store misbehaving.
@Suite(.timeLimit(.minutes(2)))
struct DurabilityTests {
    static let body = Fixture.load("github", "go-scm-push").body

    @Test func aTimedOutCallThatCreatedTheJobIsAdoptedNotRepeated() async throws {
        // Terrakube creates the job but answers after PushRelay's 1 s timeout: the outcome is unknown.
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.createThenDelay(.seconds(3)))
        try await RelayHarness.run(requestTimeoutSeconds: 1, standIn: standIn) { relay in
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(Self.body, delivery: "t-1"),
                    body: Self.body
                ).status == 202
            )
            let job = try #require(try await relay.job("t-1", reaching: .done))
            #expect(job.history.map(\.outcome) == ["retry", "adopted"])
            #expect(job.terrakubeJobID == "1")
            #expect(relay.standIn.jobs.count == 1)
            #expect(relay.standIn.jobRequests.count == 1)
        }
    }

    @Test func aCallThatHangsPastTheTimeoutCreatesOneJob() async throws {
        // Terrakube hangs for 3 s, past the 2 s timeout, then creates the job: the uncertain attempt's
        // retry waits at least the request timeout, then finds that job instead of creating another.
        // (A 2 s timeout, not 1: the lookup must not itself run out of time on a loaded machine.)
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.delay(.seconds(3)))
        try await RelayHarness.run(requestTimeoutSeconds: 2, standIn: standIn) { relay in
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(Self.body, delivery: "t-2"),
                    body: Self.body
                ).status == 202
            )
            let job = try #require(try await relay.job("t-2", reaching: .done))
            #expect(job.history.map(\.outcome) == ["retry", "adopted"])
            #expect(relay.standIn.jobs.count == 1)
        }
    }

    @Test func anUncertainAttemptThatCreatedNothingIsSentAgain() async throws {
        // Terrakube hangs past the timeout and creates nothing: the lookup finds nothing, the job is sent again.
        // (A 2 s timeout, not 1: the lookup must not itself run out of time on a loaded machine.)
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.hangThenFail(.seconds(6)))
        try await RelayHarness.run(requestTimeoutSeconds: 2, standIn: standIn) { relay in
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(Self.body, delivery: "t-3"),
                    body: Self.body
                ).status == 202
            )
            let job = try #require(try await relay.job("t-3", reaching: .done))
            #expect(job.history.map(\.outcome) == ["retry", "created"])
            #expect(relay.standIn.jobs.count == 1)
            #expect(relay.standIn.requests.map(\.method) == ["POST", "GET", "POST"])
        }
    }

    @Test func theSameDeliveryTenTimesAtOnceCreatesOneJob() async throws {
        try await RelayHarness.run { relay in
            let headers = RelayHarness.github(Self.body, delivery: "same-1")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await relay.post("/hooks/github", headers: headers, body: Self.body).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 200, 200, 200, 200, 200, 200, 200, 200, 202])
            #expect(await eventually { relay.standIn.createdJobs.count == 1 })
            // Recorded, and nothing else queued: no second request can come.
            #expect(try await eventually { try await relay.store.jobCounts() == [.done: 1] })
            #expect(relay.standIn.jobRequests.count == 1)
        }
    }

    @Test func aLockedStoreAnswers503AndNothingIsHalfWritten() async throws {
        try await RelayHarness.run(busyTimeout: .milliseconds(200)) { relay in
            // Another process holds the write lock on the SQLite file.
            let other = try await SQLiteConnection.open(storage: .file(path: relay.store.path))
            _ = try await other.query("BEGIN EXCLUSIVE")
            _ = try await other.query("UPDATE store_health SET checked_at = 0")

            let refused = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(Self.body, delivery: "lock-1"),
                body: Self.body
            )
            #expect(refused.status == 503)
            #expect(refused.body["reason"] as? String == "store unavailable; retry later")
            #expect(try await relay.get("/readyz").status == 503)
            #expect(try await relay.get("/healthz").status == 200)

            _ = try await other.query("ROLLBACK")
            try await other.close()
            // The provider's retry of the same delivery is then accepted, not taken for a duplicate.
            let retried = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(Self.body, delivery: "lock-1"),
                body: Self.body
            )
            #expect(retried.status == 202)
            #expect(try await relay.get("/readyz").status == 200)
            #expect(await eventually { relay.standIn.createdJobs.count == 1 })
        }
    }

    @Test func webhooksAreAcceptedWhileTerrakubeCallsHang() async throws {
        // Terrakube takes 20 s to answer each job: deliveries are answered meanwhile, not after their jobs.
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        for _ in 0..<20 { standIn.inject(.delay(.seconds(20))) }
        try await RelayHarness.run(requestTimeoutSeconds: 5, standIn: standIn) { relay in
            try await Self.sendTwentyPushes(to: relay)
            // Every webhook was answered, and Terrakube has answered no job yet: none of them waited for one.
            #expect(relay.standIn.createdJobs.isEmpty)
            #expect(await eventually { !relay.standIn.jobRequests.isEmpty })
            let counts = try await relay.store.jobCounts()
            #expect(counts.values.reduce(0, +) == 20)
            #expect(counts[.done] == nil)
        }
    }

    @Test func webhooksAreAcceptedWhileTerrakubeIsDown() async throws {
        // Terrakube's address refuses connections: every delivery is still queued.
        try await RelayHarness.run(terrakubeURL: "http://127.0.0.1:9") { relay in
            try await Self.sendTwentyPushes(to: relay)
            let counts = try await relay.store.jobCounts()
            #expect(counts.values.reduce(0, +) == 20)
            #expect(counts[.done] == nil)
        }
    }

    /// Twenty signed pushes, each of its own commit; each must be answered 202.
    static func sendTwentyPushes(to relay: RelayHarness) async throws {
        for index in 0..<20 {
            let body = Array(
                String(decoding: Self.body, as: UTF8.self).replacingOccurrences(
                    of: "199eddf46df50de8d02e99bf1c5fdb4101338224",
                    with: String(format: "%040d", index)
                ).utf8
            )
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "down-\(index)"),
                body: body
            )
            #expect(answer.status == 202)
        }
    }
}
