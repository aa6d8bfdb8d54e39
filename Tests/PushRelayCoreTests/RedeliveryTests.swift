import Foundation
import PushRelayCore
import Testing

/// Which deliveries a host is asked to resend, and how its lists are read (SPEC section 12's redelivery).
struct RedeliveryTests {
    typealias Attempt = Redelivery.Attempt

    @Test func onlyEventsThatNeverSucceededAreResentNewestAttemptOldestEventFirst() {
        let attempts = [
            Attempt(id: 9, event: "late", status: 500),
            Attempt(id: 8, event: "ok-later", status: 200),
            Attempt(id: 7, event: "refused", status: 401),
            Attempt(id: 6, event: "timeout", status: 408),
            Attempt(id: 5, event: "ok-later", status: 502),
            Attempt(id: 4, event: "unanswered", status: nil),
            Attempt(id: 3, event: "late", status: nil),
            Attempt(id: 2, event: "throttled", status: 429),
        ]
        #expect(Redelivery.toResend(attempts, limit: 10).map(\.id) == [2, 4, 6, 9])
        #expect(Redelivery.toResend(attempts, limit: 2).map(\.id) == [2, 4])
    }

    @Test func anEventIsResentAtMostThreeTimes() {
        let failures = (1...3).map { Attempt(id: $0, event: "e", status: 503) }
        #expect(Redelivery.toResend(failures, limit: 10).map(\.id) == [3])
        let more = failures + [Attempt(id: 4, event: "e", status: nil)]
        #expect(Redelivery.toResend(more, limit: 10).isEmpty)
    }

    @Test func nextPageIsReadFromTheLinkHeader() {
        let github =
            #"<https://api.github.com/repositories/1/hooks/2/deliveries?per_page=100&cursor=v1_9>; rel="next", "#
            + #"<https://api.github.com/repositories/1/hooks/2/deliveries?per_page=100>; rel="first""#
        #expect(
            Redelivery.nextPage(link: github)
                == "https://api.github.com/repositories/1/hooks/2/deliveries?per_page=100&cursor=v1_9"
        )
        #expect(Redelivery.nextPage(link: #"<https://x/p?page=1>; rel="prev""#) == nil)
        #expect(Redelivery.nextPage(link: nil) == nil)
        #expect(Redelivery.nextPage(link: "garbage") == nil)
    }

    @Test func githubDeliveriesAreRead() throws {
        let body = Array(
            """
            [{"id": 12, "guid": "0b989ba4", "delivered_at": "2026-12-06T10:00:00Z", "redelivery": false,
              "duration": 0.2, "status": "failed to connect", "status_code": 0, "event": "push", "action": null},
             {"id": 11, "guid": "0b989ba4", "delivered_at": "2026-12-06T09:00:00Z", "redelivery": false,
              "duration": 0.2, "status": "Invalid HTTP Response: 503", "status_code": 503, "event": "push"}]
            """.utf8
        )
        let attempts = try #require(Redelivery.attempts(kind: .github, in: body))
        #expect(attempts.map(\.id) == [12, 11])
        #expect(attempts.map(\.status) == [nil, 503])
        #expect(attempts.allSatisfy { $0.event == "0b989ba4" })
        #expect(attempts[0].at == (try Date.ISO8601FormatStyle().parse("2026-12-06T10:00:00Z")))
        #expect(Redelivery.attempts(kind: .github, in: Array(#"[{"id": 1}]"#.utf8)) == nil)
        #expect(Redelivery.attempts(kind: .github, in: Array(#"{"message": "Not Found"}"#.utf8)) == nil)
    }

    @Test func gitlabEventsAreGroupedByIdempotencyKey() throws {
        let body = Array(
            """
            [{"id": 3, "trigger": "push_hooks", "request_headers": {"Idempotency-Key": "k1"},
              "response_status": "internal error"},
             {"id": 2, "trigger": "push_hooks", "request_headers": {"Idempotency-Key": "k1"}, "response_status": "500"},
             {"id": 1, "trigger": "push_hooks", "request_headers": {}, "response_status": "200"}]
            """.utf8
        )
        let attempts = try #require(Redelivery.attempts(kind: .gitlab, in: body))
        #expect(attempts.map(\.event) == ["k1", "k1", "event-1"])
        #expect(attempts.map(\.status) == [nil, 500, 200])
    }

    @Test func onlyHooksUnderThePrefixAreTaken() {
        let github = Array(
            #"[{"id": 1, "config": {"url": "https://relay.example.com/hooks/github"}}, {"id": 2, "config": {"url": "https://ci.example.com/"}}]"#
                .utf8
        )
        #expect(Redelivery.hooks(kind: .github, in: github, startingWith: "https://relay.example.com/hooks") == [1])
        let gitlab = Array(#"[{"id": 5, "url": "https://relay.example.com/hooks/gitlab"}]"#.utf8)
        #expect(Redelivery.hooks(kind: .gitlab, in: gitlab, startingWith: "https://relay.example.com/hooks") == [5])
        #expect(Redelivery.hooks(kind: .gitlab, in: Array("{}".utf8), startingWith: "x") == nil)
    }

    @Test func requestsAreTheHostsDocumentedPaths() throws {
        let token = APIToken("t")
        let github = try #require(
            Redelivery.hooksRequest(kind: .github, repository: "o/r", apiURL: "https://api.github.com", token: token)
        )
        #expect(github.url == "https://api.github.com/repos/o/r/hooks?per_page=100")
        let gitlab = try #require(
            Redelivery.hooksRequest(kind: .gitlab, repository: "g/sub/p", apiURL: "https://gl/api/v4", token: token)
        )
        #expect(gitlab.url == "https://gl/api/v4/projects/g%2Fsub%2Fp/hooks?per_page=100")
        #expect(Redelivery.hooksRequest(kind: .gitea, repository: "o/r", apiURL: "https://g", token: token) == nil)
        let attempt = Attempt(id: 42, event: "e", status: nil)
        let resend = try #require(
            Redelivery.resendRequest(
                kind: .github,
                scope: .repository("o/r", hook: 7),
                attempt: attempt,
                apiURL: "https://api.github.com",
                authorization: []
            )
        )
        #expect(resend.method == "POST")
        #expect(resend.url == "https://api.github.com/repos/o/r/hooks/7/deliveries/42/attempts")
        let app = try #require(
            Redelivery.resendRequest(
                kind: .github,
                scope: .app,
                attempt: attempt,
                apiURL: "https://api.github.com",
                authorization: []
            )
        )
        #expect(app.url == "https://api.github.com/app/hook/deliveries/42/attempts")
        let gitlabResend = try #require(
            Redelivery.resendRequest(
                kind: .gitlab,
                scope: .repository("g/p", hook: 3),
                attempt: attempt,
                apiURL: "https://gl/api/v4",
                authorization: []
            )
        )
        #expect(gitlabResend.url == "https://gl/api/v4/projects/g%2Fp/hooks/3/events/42/resend")
    }
}
