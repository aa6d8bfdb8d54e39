import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

/// The call to Terrakube as the internet can make it go wrong: one deadline for the whole of it, body
/// included, and no redirect followed.
@Suite(.timeLimit(.minutes(2)))
struct TerrakubeCallTests {
    static let body = Fixture.load("github", "go-scm-push").body

    @Test func aTrickledAnswerIsCutAtTheDeadlineAndTheJobAdoptedNotRepeated() async throws {
        // The 201's head comes at once, its body a byte every 200 ms (a minute in all): the 2 s deadline
        // cuts it, the outcome is unknown, and the retry looks first and finds the job. (2 s, not 1: the
        // lookup must not itself run out of time on a loaded machine.)
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.createThenTrickle(.milliseconds(200)))
        try await RelayHarness.run(requestTimeoutSeconds: 2, standIn: standIn) { relay in
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(Self.body, delivery: "trickle-1"),
                body: Self.body
            )
            #expect(answer.status == 202)
            let job = try #require(try await relay.job("trickle-1", reaching: .done))
            #expect(job.history.map(\.outcome) == ["retry", "adopted"])
            #expect(job.history.first?.detail == "Terrakube did not answer in time")
            #expect(relay.standIn.jobs.count == 1)
            #expect(relay.standIn.jobRequests.count == 1)
        }
    }

    @Test(arguments: [301, 302, 307, 308])
    func aRedirectIsNotFollowedAndTheJobIsSentAgainWhereItBelongs(_ status: Int) async throws {
        // Another origin would answer 200 with a job id: it must never be asked, nor its answer taken for a job.
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.inject(.redirect(status))
        try await RelayHarness.run(standIn: standIn) { relay in
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(Self.body, delivery: "redirect-\(status)"),
                body: Self.body
            )
            #expect(answer.status == 202)
            let job = try #require(try await relay.job("redirect-\(status)", reaching: .done))
            #expect(job.history.map(\.outcome) == ["retry", "created"])
            #expect(job.history.first?.status == status)
            let detail = try #require(job.history.first?.detail)
            #expect(detail.contains("redirects to http://127.0.0.1:"), "\(detail)")
            #expect(detail.contains("/elsewhere/api/v1/organization/"), "\(detail)")
            #expect(relay.standIn.requests.filter { $0.path.hasPrefix("/elsewhere") }.isEmpty)
            #expect(job.terrakubeJobID == relay.standIn.jobs.first.map { String($0.id) })
            #expect(relay.standIn.jobs.count == 1)
        }
    }
}
