import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// The dispatcher against a Terrakube that refuses, fails, then recovers.
@Suite(.timeLimit(.minutes(2)))
struct DispatcherTests {
    static let body = Fixture.load("github", "go-scm-push").body

    @Test func permanentRefusalFailsTheJobWithTerrakubesDetail() async throws {
        try await RelayHarness.run(terrakubeToken: "revoked") { relay in
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(Self.body, delivery: "p-1"),
                    body: Self.body
                ).status == 202
            )
            let job = try #require(try await relay.job("p-1", reaching: .failed))
            #expect(job.lastError == "HTTP 401: Invalid or missing token")
            #expect(job.attempts == 1)
            #expect(relay.standIn.requests.count == 1)
        }
    }

    @Test func unavailableTerrakubeIsRetriedUntilItRecovers() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.status(503), .status(429, retryAfter: "0"), .status(500))
        try await RelayHarness.run(standIn: standIn) { relay in
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(Self.body, delivery: "r-1"),
                    body: Self.body
                ).status == 202
            )
            let job = try #require(try await relay.job("r-1", reaching: .done))
            #expect(job.attempts == 4)
            #expect(relay.standIn.requests.map(\.status) == [503, 429, 500, 201])
            #expect(relay.standIn.createdJobs.count == 1)
        }
    }

    @Test func retriesStopAtTheAttemptLimit() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.status(502), .status(502), .status(502), .status(502), .status(502), .status(502))
        try await RelayHarness.run(standIn: standIn) { relay in
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(Self.body, delivery: "l-1"),
                    body: Self.body
                ).status == 202
            )
            let job = try #require(try await relay.job("l-1", reaching: .failed))
            #expect(job.attempts == 5)
            #expect(job.lastError?.hasPrefix("gave up after 5 attempts") == true)
            #expect(relay.standIn.createdJobs.isEmpty)
        }
    }
}
