import Foundation
import PushRelayFixtures
import PushRelayTestSupport
import Testing

@testable import PushRelayCore

/// `replay --dry-run` over every fixture: the JSON line matches the fixture's meta, and its jobs are the
/// ones `serve`'s accept path queues for the same signed delivery.
struct ReplayEvaluationTests {
    static let secret = WebhookSecret("replay-secret")

    /// Every fixture repository configured, with routes for every branch and tag.
    static let config: RelayConfig = {
        let identities = [
            "github.com/codertocat/hello-world", "github.com/bradrydzewski/drone-test-go", "example.com/mike/diaspora",
            "example.com/jsmith/example", "gitlab.com/gitlab-org/hello-world",
            "gitlab.com/group1/group2/group3/grp2repo",
            "localhost/gitea/webhooks", "localhost/unknwon/webhooks", "bitbucket.org/brydzewski/foo",
            "bitbucket.example.com/prj/my-repo",
            "dev.azure.com/fabrikam-fiber-inc/fabrikam-fiber-git/fabrikam-fiber-git",
            // The pull request fixtures' repositories.
            "example.com/gitlabhq/gitlab-test", "localhost/example/example", "try.gitea.io/gogits/hello-world",
            "server.bitbucket.local/~gopher/webhook-test", "dev.azure.com/fabrikam/fabrikam/fabrikam",
        ]
        return RelayConfig(
            settings: ServiceSettings(
                listen: ListenAddress(host: "127.0.0.1", port: 0),
                terrakube: .init(url: "http://127.0.0.1:9", token: "t", organization: "org-1"),
                store: .sqlite(":memory:"),
                defaultSecrets: [Self.secret]
            ),
            repositories: identities.map { identity in
                RepositoryConfig(
                    identity: RepositoryIdentity(normalizing: identity)!,
                    file: "repos/x.yaml",
                    secrets: [Self.secret],
                    routes: [Self.everything]
                )
            }
        )
    }()

    /// Every branch and tag, and pull requests into any branch, forks and drafts included.
    static let everything: Route = {
        var route = Route(
            file: "repos/x.yaml",
            line: 3,
            branches: try! PatternSet(["**"]),
            tags: try! PatternSet(["**"]),
            workspace: "ws",
            template: "tpl"
        )
        route.pullRequests = PullRequestPlans(template: "plan", allowForks: true, drafts: true)
        return route
    }()

    /// The fixture's headers, signed (or authenticated) with the test secret in its provider's way.
    static func signedHeaders(_ fixture: Fixture, body: [UInt8]? = nil) -> WebhookHeaders {
        FixtureHeaders.signed(event: fixture.meta.event_header, body: body ?? fixture.body, secret: "replay-secret")
    }

    @Test(arguments: PayloadFixtureTests.fixtures)
    func dryRunMatchesTheMetaAndWhatServeQueues(_ fixture: Fixture) throws {
        let headers = Self.signedHeaders(fixture)
        let provider = PayloadFixtureTests.provider(for: fixture.provider)
        let saved = SavedDelivery(
            provider: provider.kind.rawValue,
            receivedAt: Date(),
            headers: headers,
            body: fixture.body
        )
        let input = try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "unused")
        let evaluation = try ReplayEvaluation.evaluate(input, config: Self.config)
        #expect(evaluation.signature == .valid)
        // The configured identity when the payload names only a path (Bitbucket Data Center).
        #expect(evaluation.repository?.hasSuffix(PayloadFixtureTests.expectedIdentity(fixture) ?? "-") == true)

        let line = try #require(evaluation.jsonLines(file: "f.json").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["provider"] as? String == provider.kind.rawValue)
        #expect(object["delivery"] as? String == "delivery-1" || provider.kind == .azureDevOps)
        if let ref = fixture.meta.ref, evaluation.event != "create" {
            #expect(object["ref"] as? String == (ref.hasPrefix("refs/") ? ref : "refs/heads/" + ref))
            #expect(object["branch"] as? String == fixture.meta.branch)
            #expect(object["tag"] as? String == fixture.meta.tag)
            #expect(object["deleted"] as? Bool == (fixture.meta.deleted ?? false))
            #expect(object["commit"] as? String == fixture.meta.head_commit)
        } else if let pull = fixture.meta.pull_request {
            // A pull request names no ref: its source branch and head commit, and the pull request itself.
            #expect(object["ref"] is NSNull)
            #expect(object["branch"] as? String == pull.source_branch)
            #expect(object["commit"] as? String == pull.head_sha)
            #expect(object["decision"] as? String == (pull.plans ? "queue" : "ignore"))
            let shown = try #require(object["pull_request"] as? [String: Any])
            #expect(shown["number"] as? Int == pull.number)
            #expect(shown["target"] as? String == pull.target_branch)
            #expect(shown["fork"] as? Bool == pull.fork)
            #expect(shown["action"] as? String == pull.action)
        } else {
            #expect(object["decision"] as? String == "ignore")
        }

        // The same delivery through serve's accept path queues exactly these jobs.
        guard
            case .accept(let plan) = WebhookIntake(config: Self.config).evaluate(
                provider: provider,
                headers: headers,
                body: fixture.body
            )
        else {
            Issue.record("serve refused \(fixture)")
            return
        }
        #expect(plan.jobs == evaluation.refs.flatMap(\.jobs))
        #expect(plan.record.decision == (evaluation.refs.contains { $0.decision == .queue } ? .queue : .ignore))
        let bodies = (object["jobs"] as? [[String: Any]] ?? []).compactMap {
            ($0["request"] as? [String: Any])?["body"] as? [String: Any]
        }
        let expected = plan.jobs.map {
            try! JSONSerialization.jsonObject(with: Data(TerrakubeJobDocument($0).encoded())) as! [String: Any]
        }
        #expect(bodies.count == expected.count)
        for (body, want) in zip(bodies, expected) { #expect(NSDictionary(dictionary: body).isEqual(to: want)) }
    }

    /// Each host's pull request fixture without what a plan needs: its action (as GitLab's system hooks and
    /// older GitLabs send merge request events), or a branch.
    static let incomplete: [(folder: String, name: String, without: [String])] = [
        ("github", "octokit-pull_request-opened", ["action"]),
        ("gitea", "go-playground-pull-request-from-fork", ["action"]),
        ("gogs", "go-scm-pull-request-synchronized", ["action"]),
        ("gitlab", "gitlab-docs-merge-request-hook", ["object_attributes", "action"]),
        ("bitbucket-cloud", "go-scm-pr-created-slashbranch", ["pullrequest", "source"]),
        ("bitbucket-server", "go-playground-pr-opened", ["pullRequest", "fromRef"]),
        ("azure-devops", "go-scm-pr-created", ["resource", "sourceRefName"]),
    ]

    /// Such an event is recorded and ignored with the reason (`serve` answers `200 ignored`), never refused
    /// as a `400`, which the host would count as a failed delivery; a dry run says the same.
    @Test(arguments: Self.incomplete.indices)
    func aPullRequestEventWithoutWhatAPlanNeedsIsIgnoredWithTheReason(_ index: Int) throws {
        let (folder, name, path) = Self.incomplete[index]
        let fixture = Fixture.load(folder, name)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(fixture.body)) as? [String: Any])
        if path.count == 1 {
            #expect(object.removeValue(forKey: path[0]) != nil)
        } else {
            var inner = try #require(object[path[0]] as? [String: Any])
            #expect(inner.removeValue(forKey: path[1]) != nil)
            object[path[0]] = inner
        }
        let body = Array(try JSONSerialization.data(withJSONObject: object))
        let headers = Self.signedHeaders(fixture, body: body)
        let provider = PayloadFixtureTests.provider(for: fixture.provider)
        guard
            case .accept(let plan) = WebhookIntake(config: Self.config).evaluate(
                provider: provider,
                headers: headers,
                body: body
            )
        else {
            Issue.record("serve refused \(folder)/\(name) without \(path)")
            return
        }
        #expect(plan.record.decision == .ignore)
        #expect(plan.record.reason.hasSuffix("nothing to plan"), "\(plan.record.reason)")
        #expect(plan.jobs.isEmpty)

        let saved = SavedDelivery(provider: provider.kind.rawValue, receivedAt: Date(), headers: headers, body: body)
        let evaluation = try ReplayEvaluation.evaluate(
            try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "unused"),
            config: Self.config
        )
        #expect(evaluation.refs.map(\.decision) == [.ignore])
        #expect(evaluation.refs.map(\.reason) == [plan.record.reason])
    }

    /// A dry run decides a delivery whose signature does not verify, and says so; `serve` refuses it.
    @Test func aWrongSignatureIsReportedBesideTheDecision() throws {
        let body = Fixture.load("github", "go-scm-push").body
        let headers = WebhookHeaders([
            (name: "X-GitHub-Event", value: "push"), (name: "X-GitHub-Delivery", value: "w-1"),
            (name: "X-Hub-Signature-256", value: HMACSignature.sign(body: body, secret: WebhookSecret("wrong"))),
        ])
        let saved = SavedDelivery(
            provider: "github",
            receivedAt: Date(),
            headers: headers,
            body: body
        )
        let evaluation = try ReplayEvaluation.evaluate(
            try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "unused"),
            config: Self.config
        )
        #expect(evaluation.signature == .invalid("signature mismatch"))
        #expect(evaluation.refs.first?.decision == .queue)
        let served = WebhookIntake(config: Self.config).evaluate(
            provider: GitHubProvider(),
            headers: headers,
            body: body
        )
        #expect(served == .reject(.error(401, "X-Hub-Signature-256 does not verify")))
    }

    @Test func apiObjectsAreNotSignatureChecked() throws {
        let object: [String: Any] = [
            "request": [
                "headers": ["X-GitHub-Event": "push", "X-GitHub-Delivery": "g-1", "X-Hub-Signature-256": "sha256=00"],
                "payload": try JSONSerialization.jsonObject(with: Data(Fixture.load("github", "go-scm-push").body)),
            ]
        ]
        let input = try ReplayInput.read(
            Array(try JSONSerialization.data(withJSONObject: object)),
            fallbackDeliveryID: "x"
        )
        let evaluation = try ReplayEvaluation.evaluate(input, config: Self.config)
        #expect(evaluation.signature == .notChecked)
        #expect(evaluation.refs.first?.decision == .queue)
    }
}

struct ReplayNamesTests {
    @Test func unresolvedNamesAreShownAsNames() throws {
        var config = ReplayEvaluationTests.config
        var route = config.repositories[0].routes[0]
        route.workspace = ""
        route.workspaceName = "prod"
        route.template = ""
        route.templateName = "Plan and apply"
        config.repositories[0].routes = [route]
        let fixture = Fixture.load("github", "go-scm-push")
        let input = try ReplayInput.read(fixture.body, provider: .github, event: "push", fallbackDeliveryID: "n-1")
        let job = try #require(try ReplayEvaluation.evaluate(input, config: config).refs.first?.jobs.first)
        #expect(job.workspace == "name:prod")
        #expect(job.template == "name:Plan and apply")
    }
}
