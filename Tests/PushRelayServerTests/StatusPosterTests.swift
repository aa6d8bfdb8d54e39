import AsyncHTTPClient
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayTestSupport
import Testing

/// Posting commit statuses over the real client to a Git-host stand-in: the request each host kind gets,
/// and what each answer leads to.
struct StatusPosterTests {
    static let sha = "199eddf46df50de8d02e99bf1c5fdb4101338224"
    static let logger = Logger(label: "test")

    static func poster(_ url: String, kind: StatusHostKind, host: String = "git.example.com") -> StatusPoster {
        StatusPoster(
            host: host,
            kind: kind,
            settings: .init(kind: GitHostKind(rawValue: kind.rawValue)!, apiURL: url, token: APIToken("tok-1")),
            credentials: .token(APIToken("tok-1")),
            fallbackURL: "https://ui.example.com",
            exchange: HTTPExchange(client: HTTPClient.shared, peer: "the Git host")
        )
    }

    static func item(
        _ progress: JobProgress,
        repository: String = "acme/infra",
        attempts: Int = 0,
        result: String? = nil
    ) -> ClaimedWork {
        let post = StatusPost(
            repository: repository,
            commit: Self.sha,
            context: "pushrelay/ws-prod",
            status: CommitStatus(progress, runURL: { "https://ui.example.com/runs/\($0)" })
        )
        let work = StatusPostWork(host: "git.example.com", post: post).work
        return ClaimedWork(
            id: 1,
            fence: 1,
            kind: work.kind,
            payload: work.payload,
            attempts: attempts,
            provider: .github,
            deliveryID: "d-1",
            queuedAt: Date(),
            result: result
        )
    }

    @Test func gitHubGetsTheStatusAndTheSameStatusIsNotPostedTwice() async throws {
        let host = GitHostStandIn()
        try await host.whileRunning { url in
            let poster = Self.poster(url, kind: .github)
            let outcome = try await poster.attempt(
                Self.item(.terrakube(jobID: "42", state: "running")),
                logger: Self.logger
            )
            guard case .done(let result, .posted, _, _) = outcome else {
                Issue.record("not posted: \(outcome)")
                return
            }
            // What it left on the commit, as the item records it: no item id, no text to parse.
            #expect(
                StatusPostWork.Posted(result: result)
                    == .init(state: "pending", description: "Terrakube job 42: running")
            )
            let request = try #require(host.requests.first)
            #expect(request.method == "POST")
            #expect(request.target == "/repos/acme/infra/statuses/\(Self.sha)")
            #expect(request.headers["authorization"] == "Bearer tok-1")
            #expect(request.json?["state"] as? String == "pending")
            #expect(request.json?["target_url"] as? String == "https://ui.example.com/runs/42")
            // The same state and text again: nothing is sent.
            let again = try await poster.attempt(
                Self.item(.terrakube(jobID: "42", state: "running"), result: result),
                logger: Self.logger
            )
            #expect(again.name == "unchanged")
            #expect(host.requests.count == 1)
        }
    }

    @Test func gitLabGetsTheEncodedPathAndCannotTransitionCountsAsPosted() async throws {
        let host = GitHostStandIn()
        host.inject(
            .answer(400, body: #"{"message":{"state":["Cannot transition status via :run from :running"]}}"#)
        )
        try await host.whileRunning { url in
            let poster = Self.poster(url, kind: .gitlab)
            // Last posted `running`: a `pending` Terrakube state stays `running` on GitLab.
            let outcome = try await poster.attempt(
                Self.item(
                    .terrakube(jobID: "42", state: "pending"),
                    repository: "group/sub/infra",
                    result: StatusPostWork.Posted(state: "running", description: "x").result
                ),
                logger: Self.logger
            )
            #expect(outcome.name == "posted")
            let request = try #require(host.requests.first)
            #expect(request.target == "/projects/group%2Fsub%2Finfra/statuses/\(Self.sha)")
            #expect(request.headers["private-token"] == "tok-1")
            #expect(request.json?["state"] as? String == "running")
        }
    }

    @Test func rateLimitsAndOutagesAreRetriedWhenTheHostSays() async throws {
        let host = GitHostStandIn()
        // An hour away: the wait is what is left of it when the answer comes, however slow the machine.
        let reset = Int(Date().timeIntervalSince1970) + 3600
        host.inject(
            .answer(429, headers: ["Retry-After": "7"]),
            .answer(403, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "\(reset)"]),
            .answer(503, body: #"{"message":"unavailable"}"#),
            .answer(409)
        )
        try await host.whileRunning { url in
            let poster = Self.poster(url, kind: .github)
            var waits: [Duration] = []
            for _ in 0..<4 {
                let outcome = try await poster.attempt(Self.item(.queued), logger: Self.logger)
                guard case .retry(_, _, let after, false) = outcome else {
                    Issue.record("not retried: \(outcome)")
                    return
                }
                waits.append(after)
            }
            #expect(waits[0] == .seconds(7))
            #expect(waits[1] > .seconds(3000) && waits[1] <= .seconds(3600))
            #expect(waits[2] > .zero && waits[3] > .zero)
            #expect(host.requests.count == 4)
        }
    }

    @Test func refusalsEndThePostWithTheHostsReason() async throws {
        let host = GitHostStandIn()
        host.inject(
            .answer(401, body: #"{"message":"Bad credentials"}"#),
            .answer(403, body: #"{"message":"Resource not accessible by integration"}"#),
            .answer(404, body: #"{"message":"Not Found"}"#),
            .answer(422, body: #"{"message":"No commit found for SHA"}"#)
        )
        try await host.whileRunning { url in
            let poster = Self.poster(url, kind: .github)
            var reasons: [String] = []
            for _ in 0..<4 {
                let outcome = try await poster.attempt(Self.item(.queued), logger: Self.logger)
                guard case .failed(_, let error, _) = outcome else {
                    Issue.record("not refused: \(outcome)")
                    return
                }
                reasons.append(error)
            }
            #expect(
                reasons == [
                    "HTTP 401: Bad credentials", "HTTP 403: Resource not accessible by integration",
                    "HTTP 404: Not Found", "HTTP 422: No commit found for SHA",
                ]
            )
        }
    }

    @Test func aHostThatHangsIsCutAtTheDeadlineAndRetried() async throws {
        let host = GitHostStandIn()
        host.inject(.hang(.seconds(2)))
        try await host.whileRunning { url in
            var poster = Self.poster(url, kind: .github)
            poster.exchange.timeout = .milliseconds(300)
            let outcome = try await poster.attempt(Self.item(.queued), logger: Self.logger)
            #expect(outcome.name == "retry")
        }
    }
}
