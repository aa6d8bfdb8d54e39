import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// `replay --to` builds a request the listener accepts: for every fixture, the re-sent request reads as the
/// same push under the fresh delivery id, and authenticates with the configured secret and no other.
struct ReplayRequestTests {
    static let config = ReplayEvaluationTests.config

    @Test(arguments: PayloadFixtureTests.fixtures)
    func resentDeliveryVerifiesUnderAFreshID(_ fixture: Fixture) throws {
        let provider = PayloadFixtureTests.provider(for: fixture.provider)
        // Saved without any authentication, as `deliveries export` writes it (tokens are never saved).
        let saved = ReplayInput(
            format: .savedDelivery,
            provider: provider.kind,
            headers: PayloadFixtureTests.headers(for: fixture),
            body: fixture.body,
            bodyIsOriginal: true
        )
        let original = try provider.read(headers: saved.headers, body: saved.body)
        let now = Date()
        let replay = try ReplayRequest.make(saved, config: Self.config, freshDeliveryID: "fresh-1", now: now)
        #expect(replay.path == "/hooks/" + provider.kind.rawValue)
        #expect(replay.deliveryID == "fresh-1")

        let sent = try provider.read(headers: replay.request.headers, body: replay.request.body)
        #expect(sent.deliveryID == "fresh-1")
        #expect(sent.event == original.event)
        #expect(
            provider.authenticate(
                headers: replay.request.headers,
                body: replay.request.body,
                secrets: [ReplayEvaluationTests.secret],
                now: now
            ) == .valid
        )
        #expect(
            provider.authenticate(
                headers: replay.request.headers,
                body: replay.request.body,
                secrets: [WebhookSecret("another-secret")],
                now: now
            ) != .valid
        )

        let kept = try ReplayRequest.make(saved, config: Self.config, freshDeliveryID: nil, now: now)
        #expect(
            try provider.read(headers: kept.request.headers, body: kept.request.body).deliveryID == original.deliveryID
        )
    }

    /// A GitLab delivery signed with a signing token is signed again that way, with a current timestamp.
    @Test func gitLabSigningTokenIsRenewed() throws {
        let secret = WebhookSecret("whsec_" + Data("signing-key-bytes".utf8).base64EncodedString())
        let body = Array(#"{"object_kind":"push","ref":"refs/heads/main"}"#.utf8)
        let then = Date(timeIntervalSince1970: 1_700_000_000)
        var headers = WebhookHeaders([(name: "X-Gitlab-Event", value: "Push Hook"), (name: "webhook-id", value: "old")])
        headers.add(name: "webhook-timestamp", value: "1700000000")
        headers.add(
            name: "webhook-signature",
            value: StandardWebhooksSignature.sign(id: "old", timestamp: 1_700_000_000, body: body, secret: secret)
        )
        let provider = GitLabProvider()
        #expect(provider.authenticate(headers: headers, body: body, secrets: [secret], now: then) == .valid)

        let now = Date()
        let resent = provider.resend(
            WebhookRequest(headers: headers, body: body),
            secret: secret,
            deliveryID: "new",
            now: now
        )
        #expect(resent.headers["webhook-id"] == "new")
        #expect(resent.headers["X-Gitlab-Token"] == nil)
        #expect(provider.authenticate(headers: resent.headers, body: body, secrets: [secret], now: now) == .valid)
        #expect(provider.authenticate(headers: headers, body: body, secrets: [secret], now: now) != .valid)
    }

    @Test func headersSetReplacesEveryCaseOfTheName() {
        var headers = WebhookHeaders([
            (name: "X-A", value: "1"), (name: "x-b", value: "2"), (name: "x-a", value: "3"),
        ])
        headers.set("X-a", to: "4")
        #expect(headers.fields.map(\.name) == ["X-a", "x-b"])
        #expect(headers["x-A"] == "4")
        headers.remove("X-B")
        #expect(headers["x-b"] == nil)
        #expect(headers.fields.count == 1)
    }
}
