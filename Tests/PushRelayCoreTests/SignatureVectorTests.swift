import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// Every published GitHub and GitLab vector in `vectors.json`, through the providers' own checks.
struct SignatureVectorTests {
    static let github = SignatureVector.all().filter { $0.scheme.hasPrefix("github-") }
    static let gitlabToken = SignatureVector.all().filter { $0.scheme.hasPrefix("gitlab-x-gitlab-token") }
    static let bitbucket = SignatureVector.all().filter { $0.scheme.hasPrefix("bitbucket-server") }
    static let standardWebhooks = SignatureVector.all().filter { $0.scheme.hasPrefix("standard-webhooks") }
    /// Gitea's and Gogs' vectors sign pull-request bodies that the fixtures do not ship; bare-hex
    /// verification is exercised end to end with bodies signed in the tests instead.
    static let withoutBody = SignatureVector.all().filter { $0.bodyBytes == nil }

    @Test func vectorsArePresent() {
        #expect(Self.github.count == 4)
        #expect(Self.gitlabToken.count == 3)
        #expect(Self.bitbucket.count == 2)
        #expect(Self.standardWebhooks.count == 2)
        #expect(
            Self.withoutBody.map(\.id).sorted() == [
                "go-scm-gitea-pr-invalid", "go-scm-gitea-pr-valid", "go-scm-gogs-pr-invalid", "go-scm-gogs-pr-valid",
            ]
        )
        #expect(SignatureVector.all().count == 15)
    }

    @Test(arguments: Self.bitbucket)
    func bitbucketVector(_ vector: SignatureVector) throws {
        let body = try #require(vector.bodyBytes)
        let check = BitbucketProvider().authenticate(
            headers: WebhookHeaders(vector.header),
            body: body,
            secrets: [WebhookSecret(vector.secret)],
            now: Date()
        )
        #expect((check == .valid) == vector.expected_valid)
    }

    @Test(arguments: Self.standardWebhooks)
    func gitlabSigningTokenVector(_ vector: SignatureVector) throws {
        let body = try #require(vector.bodyBytes)
        let timestamp = try #require(TimeInterval(vector.header["webhook-timestamp"] ?? ""))
        let provider = GitLabProvider()
        let headers = WebhookHeaders(vector.header)
        let secrets = [WebhookSecret(vector.secret)]
        // With the clock at the vector's own time it verifies; five minutes and a second later it does not.
        let onTime = provider.authenticate(
            headers: headers,
            body: body,
            secrets: secrets,
            now: Date(timeIntervalSince1970: timestamp + 10)
        )
        #expect((onTime == .valid) == vector.expected_valid)
        let late = provider.authenticate(
            headers: headers,
            body: body,
            secrets: secrets,
            now: Date(timeIntervalSince1970: timestamp + 301)
        )
        #expect(late == .invalid("timestamp out of tolerance"))
        var tampered = body
        tampered.append(UInt8(ascii: " "))
        let changed = provider.authenticate(
            headers: headers,
            body: tampered,
            secrets: secrets,
            now: Date(timeIntervalSince1970: timestamp)
        )
        #expect(changed != .valid)
        // Several signatures in one header (a rotation): any one verifies.
        var rotated = WebhookHeaders(vector.header.filter { $0.key != "webhook-signature" })
        rotated.add(name: "webhook-signature", value: "v1,AAAA " + (vector.header["webhook-signature"] ?? ""))
        #expect(
            provider.authenticate(
                headers: rotated,
                body: body,
                secrets: secrets,
                now: Date(timeIntervalSince1970: timestamp)
            ) == .valid
        )
    }

    @Test func githubSHA1OnlyWhereAllowed() throws {
        let vector = try #require(Self.github.first { $0.id == "go-scm-github-push-sha1-fallback" })
        let body = try #require(vector.bodyBytes)
        let headers = WebhookHeaders(vector.header)
        let secrets = [WebhookSecret(vector.secret)]
        #expect(GitHubProvider().authenticate(headers: headers, body: body, secrets: secrets, now: Date()) == .absent)
        let allowed = GitHubProvider().authenticate(
            headers: headers,
            body: body,
            secrets: secrets,
            options: SignatureOptions(allowSHA1: true),
            now: Date()
        )
        #expect(allowed == .valid)
    }

    @Test func giteaFamilyBareHexSignatures() throws {
        let body = Fixture.load("gitea", "gitea-docs-push").body
        let secret = WebhookSecret("gitea-secret")
        let hex = String(HMACSignature.sign(body: body, secret: secret).dropFirst("sha256=".count))
        for header in ["X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature"] {
            let good = GiteaProvider().authenticate(
                headers: WebhookHeaders([header: hex]),
                body: body,
                secrets: [secret],
                now: Date()
            )
            #expect(good == .valid, "\(header)")
            let prefixed = GiteaProvider().authenticate(
                headers: WebhookHeaders([header: "sha256=" + hex]),
                body: body,
                secrets: [secret],
                now: Date()
            )
            #expect(prefixed != .valid, "\(header)")
        }
        #expect(
            GiteaProvider().authenticate(
                headers: WebhookHeaders(["X-Gitea-Signature": "failfailfailfail"]),
                body: body,
                secrets: [secret],
                now: Date()
            ) != .valid
        )
    }

    @Test func azureDevOpsBasicAuthPassword() {
        let body = Fixture.load("azure-devops", "msdocs-git-push").body
        let secret = WebhookSecret("azure-secret")
        func check(_ header: String) -> SignatureCheck {
            AzureDevOpsProvider().authenticate(
                headers: WebhookHeaders(["Authorization": header]),
                body: body,
                secrets: [secret],
                now: Date()
            )
        }
        #expect(check("Basic " + Data("any-user:azure-secret".utf8).base64EncodedString()) == .valid)
        #expect(check("Basic " + Data("any-user:wrong".utf8).base64EncodedString()) != .valid)
        #expect(check("Bearer azure-secret") != .valid)
        #expect(check("Basic !!!") != .valid)
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
