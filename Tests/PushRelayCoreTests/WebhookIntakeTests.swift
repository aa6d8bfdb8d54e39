import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// The accept path's decisions without a server: which status each kind of request gets.
struct WebhookIntakeTests {
    static let config = RelayConfig(
        settings: ServiceSettings(
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            terrakube: .init(url: "http://127.0.0.1:9", token: "t", organization: "org-1"),
            store: .sqlite(":memory:"),
            defaultSecrets: [WebhookSecret("default")]
        ),
        repositories: [
            RepositoryConfig(
                identity: RepositoryIdentity(host: "github.com", path: "codertocat/hello-world"),
                file: "repos/hello.yaml",
                secrets: [WebhookSecret("topsecret")],
                routes: [
                    Route(
                        file: "repos/hello.yaml",
                        line: 3,
                        branches: try! PatternSet(["master"]),
                        workspace: "ws",
                        template: "tpl"
                    )
                ]
            )
        ]
    )

    static func github(
        _ body: [UInt8],
        event: String = "push",
        secret: String? = "topsecret",
        delivery: String? = "d-1"
    ) -> WebhookHeaders {
        var headers = WebhookHeaders([(name: "X-GitHub-Event", value: event)])
        if let delivery { headers.add(name: "X-GitHub-Delivery", value: delivery) }
        if let secret {
            headers.add(
                name: "X-Hub-Signature-256",
                value: HMACSignature.sign(body: body, secret: WebhookSecret(secret))
            )
        }
        return headers
    }

    static func evaluate(
        _ headers: WebhookHeaders,
        _ body: [UInt8],
        config: RelayConfig = Self.config
    ) -> WebhookIntake.Outcome {
        WebhookIntake(config: config).evaluate(provider: GitHubProvider(), headers: headers, body: body)
    }

    static func status(_ outcome: WebhookIntake.Outcome) -> Int {
        switch outcome {
        case .reject(let answer): answer.httpStatus
        case .accept(let plan): plan.answer.httpStatus
        }
    }

    @Test func signedPushIsQueued() throws {
        let body = Fixture.load("github", "go-scm-push").body
        guard case .accept(let plan) = Self.evaluate(Self.github(body), body) else { throw PayloadError("rejected") }
        #expect(plan.record.decision == .queue)
        #expect(plan.answer == .queued("d-1", jobs: 1))
        #expect(plan.record.repository == "github.com/codertocat/hello-world")
        #expect(plan.jobs.first?.commitID == "199eddf46df50de8d02e99bf1c5fdb4101338224")
        #expect(plan.record.signature == .valid)
    }

    @Test func wrongOrMissingSignatureIs401() {
        let body = Fixture.load("github", "go-scm-push").body
        #expect(Self.status(Self.evaluate(Self.github(body, secret: "wrong"), body)) == 401)
        #expect(Self.status(Self.evaluate(Self.github(body, secret: nil), body)) == 401)
        // The default secret does not vouch for a repository that has its own.
        #expect(Self.status(Self.evaluate(Self.github(body, secret: "default"), body)) == 401)
    }

    @Test func missingHeadersAndBadBodiesAre400() {
        let body = Fixture.load("github", "go-scm-push").body
        #expect(Self.status(Self.evaluate(Self.github(body, delivery: nil), body)) == 400)
        #expect(Self.status(Self.evaluate(WebhookHeaders([(name: "X-GitHub-Delivery", value: "x")]), body)) == 400)
        let garbage = Array("{not json".utf8)
        #expect(Self.status(Self.evaluate(Self.github(garbage), garbage)) == 400)
    }

    @Test func anUnknownRepositoryIsIgnoredWhenTheDefaultSecretVerifiesIt() {
        let body = Fixture.load("github", "go-scm-push-branch-create").body  // bradrydzewski/drone-test-go
        guard case .accept(let plan) = Self.evaluate(Self.github(body, secret: "default"), body) else {
            Issue.record("a delivery the default secret verifies was refused")
            return
        }
        #expect(plan.answer == .ignored("d-1", reason: "repository not configured"))
        // Kept for its id and decision only: no body for a repository no config names.
        #expect(plan.record.body.isEmpty)
        #expect(!plan.record.headers.fields.isEmpty)
    }

    @Test func anIgnoredDeliveryOfAConfiguredRepositoryKeepsItsBody() {
        let body = Fixture.load("github", "go-scm-push-branch-create").body
        let configured = Array(
            String(decoding: body, as: UTF8.self)
                .replacingOccurrences(of: "bradrydzewski/drone-test-go", with: "Codertocat/Hello-World").utf8
        )
        guard case .accept(let plan) = Self.evaluate(Self.github(configured), configured) else {
            Issue.record("refused")
            return
        }
        #expect(plan.record.decision == .ignore)
        #expect(plan.record.body == configured)
    }

    @Test(arguments: [true, false])
    func anUnverifiedAnswerDoesNotTellWhetherTheRepositoryIsConfigured(_ withDefaultSecret: Bool) {
        var config = Self.config
        if !withDefaultSecret { config.settings.defaultSecrets = [] }
        let configured = Fixture.load("github", "go-scm-push").body  // Codertocat/Hello-World, configured
        let unknown = Fixture.load("github", "go-scm-push-branch-create").body  // bradrydzewski/drone-test-go
        for secret in ["wrong", nil] {
            let known = Self.evaluate(Self.github(configured, secret: secret), configured, config: config)
            let other = Self.evaluate(Self.github(unknown, secret: secret), unknown, config: config)
            #expect(Self.status(known) == 401)
            #expect(known == other, "secret \(secret ?? "absent")")
        }
    }

    @Test func aSignedPushOfARefGitWouldRefuseIs400AndNothingIsQueued() {
        let original = String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
        for (ref, problem) in [
            ("refs/heads/release/../master", "it contains '..'"),
            ("refs/heads/x\\n", "it contains a control character"),
        ] {
            let body = Array(
                original.replacingOccurrences(of: #""ref": "refs/heads/master""#, with: #""ref": "\#(ref)""#).utf8
            )
            #expect(body != Array(original.utf8))
            #expect(
                Self.evaluate(Self.github(body), body)
                    == .reject(.error(400, "pushed ref is not a valid Git ref name: \(problem)"))
            )
        }
    }

    @Test func pingAndDeletionAreIgnored() throws {
        let ping = Fixture.load("github", "octokit-ping").body
        guard case .accept(let pingPlan) = Self.evaluate(Self.github(ping, event: "ping", secret: "default"), ping)
        else {
            throw PayloadError("ping rejected")
        }
        #expect(pingPlan.answer.status == "ignored")
        #expect(pingPlan.record.reason == "ping")

        var deletion = Fixture.load("github", "go-scm-push-branch-delete").body
        deletion = Array(
            String(decoding: deletion, as: UTF8.self).replacingOccurrences(
                of: "bradrydzewski/drone-test-go",
                with: "Codertocat/Hello-World"
            ).utf8
        )
        guard case .accept(let plan) = Self.evaluate(Self.github(deletion), deletion) else {
            throw PayloadError("deletion rejected")
        }
        #expect(plan.answer == .ignored("d-1", reason: "branch deleted"))
    }

    @Test func secretHeadersAreNotKept() throws {
        let body = Fixture.load("gitlab", "go-scm-push-subgroup").body
        var config = Self.config
        config.repositories.append(
            RepositoryConfig(
                identity: RepositoryIdentity(normalizing: "gitlab.com/group1/group2/group3/grp2repo")!,
                file: "repos/gl.yaml",
                secrets: [WebhookSecret("gl-token")],
                routes: [
                    Route(
                        file: "repos/gl.yaml",
                        line: 3,
                        branches: try PatternSet(["master"]),
                        workspace: "ws",
                        template: "tpl"
                    )
                ]
            )
        )
        let headers = WebhookHeaders([
            (name: "X-Gitlab-Event", value: "Push Hook"), (name: "X-Gitlab-Token", value: "gl-token"),
            (name: "X-Gitlab-Event-UUID", value: "uuid-1"), (name: "Authorization", value: "Basic abc"),
        ])
        guard
            case .accept(let plan) = WebhookIntake(config: config).evaluate(
                provider: GitLabProvider(),
                headers: headers,
                body: body
            )
        else {
            throw PayloadError("rejected")
        }
        #expect(plan.answer == .queued("uuid-1", jobs: 1))
        #expect(plan.jobs.first?.via == "Gitlab")
        #expect(plan.record.headers.fields.map(\.name) == ["X-Gitlab-Event", "X-Gitlab-Event-UUID"])
    }

    @Test func answersAreShortJSONWithStatusFirst() {
        #expect(
            String(decoding: WebhookAnswer.queued("d", jobs: 2).encodedBody(), as: UTF8.self)
                == #"{"status":"queued","delivery":"d","jobs":2}"# + "\n"
        )
        #expect(
            String(decoding: WebhookAnswer.error(401, "no \"sig\"").encodedBody(), as: UTF8.self)
                == #"{"status":"error","reason":"no \"sig\""}"# + "\n"
        )
    }
}
