import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// Every GitHub and GitLab body in the fixtures, parsed and checked against its `.meta.json`.
struct PayloadFixtureTests {
    static let fixtures = Fixture.all("github", "gitlab")

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count == 12)
    }

    @Test(arguments: Self.fixtures)
    func parsesAsMetaSays(_ fixture: Fixture) throws {
        let provider = try #require(WebhookProviders.provider(named: fixture.provider))
        let event = try provider.parse(eventName: fixture.meta.event, body: fixture.body)

        // Every clone URL the meta lists normalises to the identity the payload yields first.
        let expected = try #require(fixture.meta.repository.clone_urls?["https"]).flatMap(
            RepositoryIdentity.init(normalizing:)
        )
        #expect(event.repositoryIdentities.first == expected)
        for url in fixture.meta.repository.clone_urls?.values.map({ $0 }) ?? [] {
            #expect(RepositoryIdentity(normalizing: url) == expected, "\(url)")
        }

        guard let ref = fixture.meta.ref else {
            // Not a push: ping, pull request, merge request.
            if case .push = event.kind { Issue.record("\(fixture) parsed as a push") }
            return
        }
        guard case .push(let pushes) = event.kind, let push = pushes.first else {
            Issue.record("\(fixture) did not parse as a push")
            return
        }
        #expect(pushes.count == 1)
        #expect(push.ref.name == ref)
        #expect(push.ref.branch == fixture.meta.branch)
        #expect(push.ref.tag == fixture.meta.tag)
        #expect(push.deleted == (fixture.meta.deleted ?? false))
        #expect(push.commit == fixture.meta.head_commit)
    }

    @Test func gitlabTruncatedCommitListLeavesFilesUnknown() throws {
        let fixture = Fixture.load("gitlab", "gitlab-docs-push-hook")  // total_commits_count 4, 2 commits sent
        let event = try GitLabProvider().parse(eventName: "Push Hook", body: fixture.body)
        guard case .push(let pushes) = event.kind else { throw PayloadError("not a push") }
        #expect(pushes[0].changedFiles == nil)
        #expect(pushes[0].changedFilesUnknownReason == "GitLab sent 2 of 4 commits")
    }

    @Test func githubChangedFilesAreTheUnionOfCommits() throws {
        let fixture = Fixture.load("github", "go-scm-push")
        let event = try GitHubProvider().parse(eventName: "push", body: fixture.body)
        guard case .push(let pushes) = event.kind else { throw PayloadError("not a push") }
        #expect(pushes[0].changedFiles == ["README.md"])
        #expect(pushes[0].headCommitMessage == "Update README")
    }

    @Test func gitlabSystemHookPushIsAPush() throws {
        let fixture = Fixture.load("gitlab", "go-scm-push-subgroup")
        let event = try GitLabProvider().parse(eventName: "System Hook", body: fixture.body)
        guard case .push(let pushes) = event.kind else { throw PayloadError("not a push") }
        #expect(pushes[0].ref.branch == "master")
        #expect(event.repositoryIdentities.first?.description == "gitlab.com/group1/group2/group3/grp2repo")
    }

    @Test(arguments: [
        "", "not json", "[1,2,3]", #"{"ref": 5}"#, #"{"ref":"refs/heads/x"}"#,
        "{\"ref\":\"refs/heads/x\",\"repository\":",
    ])
    func malformedBodiesAreRefusedWithAReason(_ body: String) {
        #expect(throws: PayloadError.self) { try GitHubProvider().parse(eventName: "push", body: Array(body.utf8)) }
        #expect(throws: PayloadError.self) {
            try GitLabProvider().parse(eventName: "Push Hook", body: Array(body.utf8))
        }
    }
}
