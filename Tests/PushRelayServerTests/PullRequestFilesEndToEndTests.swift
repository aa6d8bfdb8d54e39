import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// A pull request's changed files, read from the host when its plans are dispatched (SPEC section 13): a
/// route with `paths` plans only a pull request that touches them, and the others show `success` "No
/// changes" on the head commit, which `status.summary` counts as a success. Each host kind with such an API,
/// through the real listener and dispatchers.
@Suite(.timeLimit(.minutes(3)))
struct PullRequestFilesEndToEndTests {
    struct HostCase: Sendable, CustomTestStringConvertible {
        var kind: String
        var host: String
        var apiPath = ""
        var fixture: (folder: String, name: String)
        var hook: String
        var secret: String
        /// The repository file's name and `repository:` line.
        var file: String
        var repository: String
        var files: PullRequestFileLists.Kind
        /// The repository's API root path at the stand-in.
        var root: String
        var number: Int

        var testDescription: String { self.kind }
    }

    static let cases: [HostCase] = [
        HostCase(
            kind: "github",
            host: "github.com",
            fixture: ("github", "octokit-pull_request-opened"),
            hook: "/hooks/github",
            secret: "topsecret",
            file: "hello.yaml",
            repository: "https://github.com/Codertocat/Hello-World.git\nsecret_env: GH_SECRET",
            files: .github,
            root: "/repos/Codertocat/Hello-World",
            number: 2
        ),
        HostCase(
            kind: "gitlab",
            host: "example.com",
            apiPath: "/api/v4",
            fixture: ("gitlab", "gitlab-docs-merge-request-hook"),
            hook: "/hooks/gitlab",
            secret: "gl-token",
            file: "gitlab-test.yaml",
            repository: "example.com/gitlabhq/gitlab-test\nsecret_env: GL_TOKEN",
            files: .gitlab,
            root: "/api/v4/projects/gitlabhq%2Fgitlab-test",
            number: 1
        ),
        HostCase(
            kind: "gitea",
            host: "localhost",
            apiPath: "/api/v1",
            fixture: ("gitea", "go-playground-pull-request-from-fork"),
            hook: "/hooks/gitea",
            secret: "gitea-secret",
            file: "example.yaml",
            repository: "http://localhost:3000/example/example.git\nsecret_env: GITEA_SECRET",
            files: .gitea,
            root: "/api/v1/repos/example/example",
            number: 2
        ),
        HostCase(
            kind: "bitbucket-cloud",
            host: "bitbucket.org",
            apiPath: "/2.0",
            fixture: ("bitbucket-cloud", "go-scm-pr-created-slashbranch"),
            hook: "/hooks/bitbucket",
            secret: "bb-secret",
            file: "bitbucket-cloud.yaml",
            repository: "bitbucket.org/brydzewski/foo\nsecret_env: BB_SECRET",
            files: .bitbucketCloud,
            root: "/2.0/repositories/brydzewski/foo",
            number: 1
        ),
        HostCase(
            kind: "bitbucket-server",
            host: "server.bitbucket.local",
            fixture: ("bitbucket-server", "go-playground-pr-opened"),
            hook: "/hooks/bitbucket",
            secret: "bb-secret",
            file: "webhook-test.yaml",
            repository: "https://server.bitbucket.local/scm/~gopher/webhook-test.git\nsecret_env: BB_SECRET",
            files: .bitbucketServer,
            root: "/rest/api/latest/projects/~gopher/repos/webhook-test",
            number: 5
        ),
        HostCase(
            kind: "azure-devops",
            host: "dev.azure.com",
            fixture: ("azure-devops", "go-scm-pr-created"),
            hook: "/hooks/azure-devops",
            secret: "az-secret",
            file: "fabrikam.yaml",
            repository: "https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam\nsecret_env: AZ_SECRET",
            files: .azureDevOps,
            root: "/fabrikam/Fabrikam/_apis/git/repositories/Fabrikam",
            number: 1
        ),
    ]

    /// The case's repository, planning pull requests into `master` for `envs/**` only.
    static func repositoryFile(_ host: HostCase) -> String {
        """
        repository: \(host.repository)
        routes:
          - branches: ["master"]
            paths: ["envs/**"]
            workspace: ws-files
            template: tpl-apply
            pull_requests:
              template: tpl-plan
              allow_forks: true
        """
    }

    /// The relay with statuses on `host`'s kind at the Git-host stand-in, and `repository` (by default the
    /// case's, planning `envs/**` only) in the case's repository file.
    static func run(
        _ host: HostCase,
        _ git: GitHostStandIn,
        repository: String? = nil,
        standIn: TerrakubeStandIn? = nil,
        summary: Bool = false,
        _ body: @escaping @Sendable (RelayHarness) async throws -> Void
    ) async throws {
        try await git.whileRunning { url in
            let service = StatusEndToEndTests.service(
                [(host: host.host, kind: host.kind, url: url + host.apiPath)],
                summary: summary
            )
            let prepare: @Sendable (String) throws -> Void = { directory in
                try (repository ?? Self.repositoryFile(host)).write(
                    toFile: directory + "/repos/" + host.file,
                    atomically: true,
                    encoding: .utf8
                )
                try StatusEndToEndTests.withUIURL(directory)
            }
            try await RelayHarness.run(
                service: service,
                prepare: prepare,
                standIn: standIn ?? TerrakubeStandIn(token: RelayHarness.token),
                body
            )
        }
    }

    /// The fixture, under another delivery id where the body carries it (Azure DevOps).
    static func body(_ host: HostCase, delivery: String) -> [UInt8] {
        let text = String(decoding: Fixture.load(host.fixture.folder, host.fixture.name).body, as: UTF8.self)
        return Array(text.replacingOccurrences(of: "2ab4e3d3-b7a6-425e-92b1-5a9982c1269e", with: delivery).utf8)
    }

    static func send(_ relay: RelayHarness, _ host: HostCase, delivery: String) async throws -> RelayHarness.Answer {
        let body = Self.body(host, delivery: delivery)
        let event = Fixture.load(host.fixture.folder, host.fixture.name).meta.event_header
        let headers = FixtureHeaders.signed(event: event, body: body, secret: host.secret, delivery: delivery)
        return try await relay.post(host.hook, headers: headers.fields.map { ($0.name, $0.value) }, body: body)
    }

    @Test(arguments: Self.cases)
    func onlyAPullRequestTouchingARoutesPathsPlansIt(_ host: HostCase) async throws {
        let git = GitHostStandIn()
        try await Self.run(host, git, summary: true) { relay in
            // Only documentation: nothing plans, and the commit shows the workspace untouched.
            git.pullRequestFiles.set(["docs/readme.md"], kind: host.files, root: host.root, number: host.number)
            let docs = try await Self.send(relay, host, delivery: "pr-docs-\(host.kind)")
            #expect(docs.status == 202, "\(docs.body)")
            #expect(docs.body["jobs"] as? Int == 0)
            #expect(
                await eventually(within: .seconds(20)) {
                    git.requests.contains {
                        String(decoding: $0.body, as: UTF8.self).contains("No changes for ws-files")
                    }
                }
            )
            // The summary status, in the kind's dialect: success, and never before the route's "No changes".
            let bodies = {
                git.requests.map { String(decoding: $0.body, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/") }
            }
            #expect(
                await eventually(within: .seconds(20)) { bodies().contains { $0.contains("1/1 plan succeeded") } },
                "\(bodies())"
            )
            let summed = bodies().firstIndex { $0.contains("1/1 plan succeeded") }
            #expect(summed ?? 0 > bodies().firstIndex { $0.contains("No changes for ws-files") } ?? .max)
            let shown = try #require(
                try await relay.store.deliveries(withID: "pr-docs-\(host.kind)", provider: nil).first
            )
            #expect(
                shown.summary.reason.contains(
                    "1 plan for a route with paths waits for the pull request's changed files from \(host.host)"
                )
            )
            let checked = try await relay.store.work(
                provider: shown.summary.provider,
                deliveryID: "pr-docs-\(host.kind)"
            )
            #expect(relay.standIn.jobs.isEmpty, "\(checked.map { ($0.kind, $0.history.map(\.detail)) })")

            // A change under envs/: the plan is created.
            git.pullRequestFiles.set(
                ["docs/readme.md", "envs/prod/main.tf"],
                kind: host.files,
                root: host.root,
                number: host.number
            )
            _ = try await Self.send(relay, host, delivery: "pr-envs-\(host.kind)")
            #expect(
                await eventually(within: .seconds(20)) {
                    relay.standIn.jobs.contains {
                        $0.workspace == "ws-files" && $0.attributes["templateReference"] == "tpl-plan"
                    }
                }
            )
            #expect(relay.standIn.jobs.count == 1)
            let reads = git.reads.filter { $0.target.hasPrefix(host.root + "/") }
            #expect(!reads.isEmpty)
        }
    }

    /// Where the host refuses the list, every route with `paths` plans, and `deliveries show` says why.
    @Test func aRefusedListPlansEveryRouteWithTheReason() async throws {
        let host = Self.cases[0]
        let git = GitHostStandIn()
        git.pullRequestFiles.set(["docs/readme.md"], kind: host.files, root: host.root, number: host.number)
        git.pullRequestFiles.refuse(403)
        try await Self.run(host, git) { relay in
            _ = try await Self.send(relay, host, delivery: "pr-refused")
            #expect(await eventually(within: .seconds(20)) { relay.standIn.jobs.count == 1 })
            let checks = try await relay.store.work(provider: .github, deliveryID: "pr-refused")
                .filter { ChangedFilesCheck.isCheck($0.kind) }
            #expect(
                checks.first?.history.last?.detail
                    == "changed files unknown (the host's changed files answered HTTP 403): every plan queued"
            )
        }
    }

    /// GitHub's pages are followed by their `Link`.
    @Test func everyPageOfGitHubsListIsRead() async throws {
        let host = Self.cases[0]
        let git = GitHostStandIn()
        git.pullRequestFiles.pageSize(2)
        git.pullRequestFiles.set(
            ["a.md", "b.md", "c.md", "d.md", "envs/prod/main.tf"],
            kind: host.files,
            root: host.root,
            number: host.number
        )
        try await Self.run(host, git) { relay in
            _ = try await Self.send(relay, host, delivery: "pr-paged")
            #expect(await eventually(within: .seconds(20)) { relay.standIn.jobs.count == 1 })
            #expect(git.reads.filter { $0.target.contains("/pulls/2/files") }.count == 3)
        }
    }
}
