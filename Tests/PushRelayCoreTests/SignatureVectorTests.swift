import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// Every published GitHub and GitLab vector in `vectors.json`, through the providers' own checks.
struct SignatureVectorTests {
    static let github = SignatureVector.all().filter { $0.scheme.hasPrefix("github-") }
    static let gitlabToken = SignatureVector.all().filter { $0.scheme.hasPrefix("gitlab-x-gitlab-token") }

    @Test func vectorsArePresent() {
        #expect(Self.github.count == 4)
        #expect(Self.gitlabToken.count == 3)
    }

    @Test(arguments: Self.github)
    func githubVector(_ vector: SignatureVector) throws {
        let body = try #require(vector.bodyBytes)
        let check = GitHubProvider().authenticate(
            headers: WebhookHeaders(vector.header),
            body: body,
            secrets: [WebhookSecret(vector.secret)],
            now: Date()
        )
        if vector.header["X-Hub-Signature-256"] == nil {
            // The legacy SHA-1 header alone: a library fell back to it; PushRelay requires SHA-256.
            #expect(check == .absent)
        } else {
            #expect((check == .valid) == vector.expected_valid)
        }
    }

    @Test(arguments: Self.gitlabToken)
    func gitlabTokenVector(_ vector: SignatureVector) throws {
        let body = try #require(vector.bodyBytes)
        let check = GitLabProvider().authenticate(
            headers: WebhookHeaders(vector.header),
            body: body,
            secrets: [WebhookSecret(vector.secret)],
            now: Date()
        )
        #expect((check == .valid) == vector.expected_valid)
    }

    @Test func anyRotatedSecretVerifies() throws {
        let vector = try #require(Self.github.first { $0.id == "go-scm-github-push-sha256-valid" })
        let body = try #require(vector.bodyBytes)
        let secrets = [WebhookSecret("old"), WebhookSecret(vector.secret)]
        let check = GitHubProvider().authenticate(
            headers: WebhookHeaders(vector.header),
            body: body,
            secrets: secrets,
            now: Date()
        )
        #expect(check == .valid)
    }

    @Test(arguments: [
        ("sha1=cf93f9ba3c8d3a789e61f91e1e5c6a360d036e98", "unsupported scheme"),
        ("sha256=zz", "not hex"),
        ("sha256=e3bfe744d4e2e29ed990bde8acfb8255", "short digest"),
        ("sha256=", "empty digest"),
        ("e3bfe744d4e2e29ed990bde8acfb8255ca51ef65f99657767989fb6349f32957", "no scheme"),
    ])
    func rejectsMalformedGitHubHeaders(header: String, why: String) {
        let body = Fixture.load("github", "go-scm-push").body
        let check = HMACSignature.verifySHA256(header: header, body: body, secrets: [WebhookSecret("topsecret")])
        #expect(check != .valid, "\(why)")
        #expect(check != .absent)
    }

    @Test func signatureCoversEveryByte() {
        var body = Fixture.load("github", "go-scm-push").body
        let header = HMACSignature.sign(body: body, secret: WebhookSecret("topsecret"))
        #expect(header == "sha256=e3bfe744d4e2e29ed990bde8acfb8255ca51ef65f99657767989fb6349f32957")
        body.removeLast()  // the trailing newline
        #expect(HMACSignature.verifySHA256(header: header, body: body, secrets: [WebhookSecret("topsecret")]) != .valid)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals(Array("topsecret".utf8), Array("topsecret".utf8)))
        #expect(!ConstantTime.equals(Array("topsecret".utf8), Array("topsecreT".utf8)))
        #expect(!ConstantTime.equals(Array("topsecret".utf8), Array("topsecret1".utf8)))
        #expect(!ConstantTime.equals([], Array("x".utf8)))
        #expect(ConstantTime.equals([], []))
    }
}
