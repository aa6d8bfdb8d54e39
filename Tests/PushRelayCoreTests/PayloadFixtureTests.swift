import Foundation
import PushRelayFixtures
import PushRelayTestSupport
import Testing

@testable import PushRelayCore

/// Every body in the fixtures, read by its provider and checked against its `.meta.json`.
struct PayloadFixtureTests {
    static let fixtures = Fixture.all(
        "github",
        "gitlab",
        "gitea",
        "gogs",
        "bitbucket-cloud",
        "bitbucket-server",
        "azure-devops"
    )

    /// The provider that reads a fixture folder.
    static func provider(for folder: String) -> any WebhookProvider {
        switch folder {
        case "github": GitHubProvider()
        case "gitlab": GitLabProvider()
        case "gitea", "gogs": GiteaProvider()
        case "bitbucket-cloud", "bitbucket-server": BitbucketProvider()
        default: AzureDevOpsProvider()
        }
    }

    /// The headers the provider sends with the fixture: its event header, and a delivery id in every dialect.
    static func headers(for fixture: Fixture) -> WebhookHeaders {
        FixtureHeaders.unsigned(event: fixture.meta.event_header)
    }

    /// The identity the meta gives: the https clone URL, or what the provider's notes say to derive.
    static func expectedIdentity(_ fixture: Fixture) -> String? {
        switch fixture.provider {
        case "bitbucket-cloud": fixture.meta.repository.full_name.map { "bitbucket.org/" + $0.lowercased() }
        case "bitbucket-server" where fixture.meta.repository.clone_urls == nil: "prj/my-repo"
        default:
            fixture.meta.repository.clone_urls?["https"].flatMap { $0 }.flatMap(RepositoryIdentity.init(normalizing:))?
                .description
        }
    }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count == 27)
    }

    @Test(arguments: Self.fixtures)
    func readsAsMetaSays(_ fixture: Fixture) throws {
        let delivery = try Self.provider(for: fixture.provider).read(
            headers: Self.headers(for: fixture),
            body: fixture.body
        )
        #expect(delivery.event.repositoryIdentities.first?.description == Self.expectedIdentity(fixture))
        // Every clone URL the meta lists is among the identities read from the payload (a configured
        // repository may name any of them).
        let identities = delivery.event.repositoryIdentities
        for url in (fixture.meta.repository.clone_urls ?? [:]).values.compactMap({ $0 }) {
            let identity = try #require(RepositoryIdentity(normalizing: url))
            #expect(identities.contains(identity), "\(url)")
        }

        guard let ref = fixture.meta.ref, delivery.eventName != "create" else {
            // Not a push (ping, pull or merge request), or a creation, whose push follows.
            if case .push = delivery.event.kind { Issue.record("\(fixture) read as a push") }
            return
        }
        guard case .push(let pushes) = delivery.event.kind, let push = pushes.first else {
            Issue.record("\(fixture) did not read as a push")
            return
        }
        #expect(pushes.count == 1)
        let fullRef = ref.hasPrefix("refs/") ? ref : "refs/heads/" + ref
        #expect(push.ref.name == fullRef)
        #expect(push.ref.branch == fixture.meta.branch)
        #expect(push.ref.tag == fixture.meta.tag)
        #expect(push.deleted == (fixture.meta.deleted ?? false))
        #expect(push.commit == fixture.meta.head_commit)
    }

    @Test func gitlabTruncatedCommitListLeavesFilesUnknown() throws {
        let fixture = Fixture.load("gitlab", "gitlab-docs-push-hook")  // total_commits_count 4, 2 commits sent
        let event = try GitLabProvider().read(headers: Self.headers(for: fixture), body: fixture.body).event
        guard case .push(let pushes) = event.kind else { throw PayloadError("not a push") }
        #expect(pushes[0].changedFiles == nil)
        #expect(pushes[0].changedFilesUnknownReason == "GitLab sent 2 of 4 commits")
    }

    @Test func githubChangedFilesAreTheUnionOfCommits() throws {
        let fixture = Fixture.load("github", "go-scm-push")
        let event = try GitHubProvider().read(headers: Self.headers(for: fixture), body: fixture.body).event
        guard case .push(let pushes) = event.kind else { throw PayloadError("not a push") }
        #expect(pushes[0].changedFiles == ["README.md"])
        #expect(pushes[0].headCommitMessage == "Update README")
        #expect(pushes[0].previousCommit == "a10867b14bb761a232cd80139fbd4c0d33264240")
    }

    @Test func gitlabSystemHookPushIsAPush() throws {
        let fixture = Fixture.load("gitlab", "go-scm-push-subgroup")
        let headers = WebhookHeaders(["X-Gitlab-Event": "System Hook", "X-Gitlab-Event-UUID": "u"])
        let event = try GitLabProvider().read(headers: headers, body: fixture.body).event
        guard case .push(let pushes) = event.kind else { throw PayloadError("not a push") }
        #expect(pushes[0].ref.branch == "master")
        #expect(event.repositoryIdentities.first?.description == "gitlab.com/group1/group2/group3/grp2repo")
    }

    @Test func azureRefsComeFromRefUpdatesAndTheIdentityFromTheNames() throws {
        let fixture = Fixture.load("azure-devops", "msdocs-git-push")
        let delivery = try AzureDevOpsProvider().read(headers: WebhookHeaders(), body: fixture.body)
        #expect(delivery.eventName == "git.push")
        #expect(delivery.deliveryID == "03c164c2-8912-4d5e-8009-3707d5f83734")
        #expect(
            delivery.event.repositoryIdentities.map(\.description) == [
                "dev.azure.com/fabrikam-fiber-inc/fabrikam-fiber-git/fabrikam-fiber-git"
            ]
        )
    }

    @Test(arguments: [
        "", "not json", "[1,2,3]", #"{"ref": 5}"#, #"{"ref":"refs/heads/x"}"#,
        "{\"ref\":\"refs/heads/x\",\"repository\":",
    ])
    func malformedBodiesAreRefusedWithAReason(_ body: String) {
        for folder in ["github", "gitlab", "gitea", "bitbucket-cloud", "azure-devops"] {
            let fixture = Fixture.all(folder).first { $0.meta.ref != nil }!
            let headers =
                folder == "bitbucket-cloud"
                ? WebhookHeaders(["X-Event-Key": "repo:push", "X-Request-UUID": "u"]) : Self.headers(for: fixture)
            #expect(throws: PayloadError.self, "\(folder)") {
                try Self.provider(for: folder).read(headers: headers, body: Array(body.utf8))
            }
        }
    }

    @Test func missingHeadersAreNamed() {
        let body = Fixture.load("github", "go-scm-push").body
        #expect(throws: PayloadError("missing X-GitHub-Event header")) {
            try GitHubProvider().read(headers: WebhookHeaders(["X-GitHub-Delivery": "d"]), body: body)
        }
        #expect(throws: PayloadError("missing X-GitHub-Delivery header")) {
            try GitHubProvider().read(headers: WebhookHeaders(["X-GitHub-Event": "push"]), body: body)
        }
        #expect(throws: PayloadError("missing Idempotency-Key or X-Gitlab-Event-UUID header")) {
            try GitLabProvider().read(headers: WebhookHeaders(["X-Gitlab-Event": "Push Hook"]), body: body)
        }
    }

    @Test func gitlabDeliveryIDPrefersIdempotencyKey() throws {
        let body = Fixture.load("gitlab", "gitlab-docs-push-hook").body
        let both = WebhookHeaders(["X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "u", "Idempotency-Key": "i"])
        #expect(try GitLabProvider().read(headers: both, body: body).deliveryID == "i")
        let uuid = WebhookHeaders(["X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "u"])
        #expect(try GitLabProvider().read(headers: uuid, body: body).deliveryID == "u")
    }

    @Test func providerIsRecognisedFromHeaders() {
        #expect(WebhookProviders.detect(WebhookHeaders(["X-GitHub-Event": "push"]))?.kind == .github)
        // Gitea sends GitHub's headers too; its own win.
        #expect(
            WebhookProviders.detect(WebhookHeaders(["X-GitHub-Event": "push", "X-Gitea-Event": "push"]))?.kind == .gitea
        )
        #expect(WebhookProviders.detect(WebhookHeaders(["X-Forgejo-Event": "push"]))?.kind == .gitea)
        #expect(WebhookProviders.detect(WebhookHeaders(["X-Gitlab-Event": "Push Hook"]))?.kind == .gitlab)
        #expect(WebhookProviders.detect(WebhookHeaders(["X-Event-Key": "repo:push"]))?.kind == .bitbucket)
        #expect(WebhookProviders.detect(WebhookHeaders(["X-VSS-ActivityId": "x"]))?.kind == .azureDevOps)
        #expect(WebhookProviders.detect(WebhookHeaders(["Content-Type": "application/json"])) == nil)
    }
}
