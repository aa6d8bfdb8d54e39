import AsyncHTTPClient
import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// The plan in the pull request (SPEC section 13), through the real listener, dispatchers and stand-ins: one
/// comment per pull request, with each plan's summary line read back from Terrakube's step output, edited in
/// place for a newer head, posted again when someone deleted it.
@Suite(.timeLimit(.minutes(3)))
struct PlanCommentEndToEndTests {
    static func repository(comment: String) -> String {
        """
        repository: https://github.com/Codertocat/Hello-World.git
        secret_env: GH_SECRET
        routes:
          - branches: ["master"]
            workspace: ws-hello
            template: tpl-apply
            pull_requests:
              template: tpl-plan
              comment: \(comment)
        """
    }

    static let plan = """
        \u{1B}[0m\u{1B}[1mTerraform will perform the following actions:\u{1B}[0m

          \u{1B}[32m+\u{1B}[0m resource "null_resource" "a" {}

        \u{1B}[1mPlan:\u{1B}[0m 1 to add, 0 to change, 0 to destroy.
        """

    static func run(
        comment: String = "summary",
        _ body: @escaping @Sendable (RelayHarness, GitHostStandIn, TerrakubeStandIn) async throws -> Void
    ) async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        try await git.whileRunning { url in
            let prepare: @Sendable (String) throws -> Void = { directory in
                try Self.repository(comment: comment).write(
                    toFile: directory + "/repos/hello.yaml",
                    atomically: true,
                    encoding: .utf8
                )
                try StatusEndToEndTests.withUIURL(directory)
            }
            try await RelayHarness.run(
                service: StatusEndToEndTests.service(url),
                prepare: prepare,
                standIn: standIn
            ) { relay in try await body(relay, git, standIn) }
        }
    }

    @Test func oneCommentPerPullRequestEditedInPlaceForEachHead() async throws {
        try await Self.run { relay, git, standIn in
            let (a, b) = (PullRequestEndToEndTests.sha("a"), PullRequestEndToEndTests.sha("b"))
            standIn.script(job: 1, "running", "completed")
            standIn.outputs(job: 1, "Initializing the backend...", Self.plan, "Estimated cost: $0.00/month")
            _ = try await PullRequestEndToEndTests.send(relay, head: a, action: "opened", delivery: "pc-a")
            #expect(
                await eventually(within: .seconds(20)) {
                    git.comments.all.first?.body.contains("`Plan: 1 to add, 0 to change, 0 to destroy.`") == true
                }
            )
            let first = try #require(git.comments.all.first)
            #expect(first.path == "/repos/Codertocat/Hello-World/issues/2/comments")
            #expect(first.body.hasPrefix(PlanComment.marker))
            #expect(first.body.contains("`aaaaaaaaaaaa`"))
            #expect(first.body.contains("- **ws-hello**: completed"))
            #expect(first.body.contains("https://ui.example.com/organizations/org-1/workspaces/ws-hello/runs/1"))
            #expect(!first.body.contains("\u{1B}"))
            #expect(!first.body.contains("<details>"))

            // A newer head: the same comment, edited, with nothing left of the older head.
            standIn.script(job: 2, "completed")
            standIn.outputs(job: 2, "No changes. Your infrastructure matches the configuration.")
            _ = try await PullRequestEndToEndTests.send(relay, head: b, delivery: "pc-b")
            #expect(
                await eventually(within: .seconds(20)) {
                    git.comments.all.first?.body.contains("`bbbbbbbbbbbb`") == true
                        && git.comments.all.first?.body.contains("No changes.") == true
                }
            )
            #expect(git.comments.all.count == 1)
            let edited = try #require(git.comments.all.first)
            #expect(edited.id == first.id)
            #expect(!edited.body.contains("aaaaaaaaaaaa"))
            #expect(!edited.body.contains("Plan: 1 to add"))

            // Deleted by someone: the next update posts it again.
            git.comments.delete(first.id)
            let c = PullRequestEndToEndTests.sha("c")
            standIn.script(job: 3, "failed")
            standIn.outputs(job: 3, "│ Error: Invalid reference\n│\n│ on main.tf line 1")
            _ = try await PullRequestEndToEndTests.send(relay, head: c, delivery: "pc-c")
            #expect(
                await eventually(within: .seconds(20)) {
                    git.comments.all.first?.body.contains("`Error: Invalid reference`") == true
                }
            )
            #expect(git.comments.all.count == 1)
            #expect(git.comments.all.first?.body.contains("- **ws-hello**: failed") == true)
            // Counted once the store has the comment's reference, just after the host has the comment.
            let counted = await eventually {
                guard let text = try? await relay.get("/metrics").text, let metrics = try? PrometheusText(text) else {
                    return false
                }
                let count = { (outcome: String) in
                    metrics["pushrelay_plan_comments_total", ["host": "github.com", "outcome": outcome]] ?? 0
                }
                return count("posted") == 2 && count("edited") >= 1
            }
            #expect(counted)
        }
    }

    @Test func fullOutputIsFoldedWithoutColours() async throws {
        try await Self.run(comment: "full") { relay, git, standIn in
            standIn.script(job: 1, "completed")
            standIn.outputs(job: 1, Self.plan, "Estimated cost: $0.00/month")
            _ = try await PullRequestEndToEndTests.send(
                relay,
                head: PullRequestEndToEndTests.sha("d"),
                action: "opened",
                delivery: "pc-full"
            )
            #expect(
                await eventually(within: .seconds(20)) { git.comments.all.first?.body.contains("<details>") == true }
            )
            let body = try #require(git.comments.all.first?.body)
            #expect(body.contains("<details><summary>Output of ws-hello</summary>"))
            #expect(body.contains("+ resource \"null_resource\" \"a\" {}"))
            #expect(!body.contains("\u{1B}"))
            #expect(!body.contains("Estimated cost"))
        }
    }

    @Test func commentOffPostsNothing() async throws {
        try await Self.run(comment: "off") { relay, git, standIn in
            standIn.script(job: 1, "completed")
            standIn.outputs(job: 1, Self.plan)
            _ = try await PullRequestEndToEndTests.send(
                relay,
                head: PullRequestEndToEndTests.sha("e"),
                action: "opened",
                delivery: "pc-off"
            )
            // The plan's final status is posted after the point a comment would have been queued.
            #expect(
                await eventually(within: .seconds(20)) {
                    git.requests.contains { $0.json?["state"] as? String == "success" }
                }
            )
            #expect(git.comments.all.isEmpty)
        }
    }
}

/// The comment on each host kind with a comment API: posted at the kind's path with the summary line, then
/// edited in place (never a second comment) when the pull request's next head is planned.
@Suite(.timeLimit(.minutes(3)))
struct PlanCommentHostTests {
    typealias HostCase = PullRequestFilesEndToEndTests.HostCase

    /// Where each kind's comments are created, under the case's API root.
    static func commentPath(_ host: HostCase) -> String {
        switch host.files {
        case .github, .gitea: "\(host.root)/issues/\(host.number)/comments"
        case .gitlab: "\(host.root)/merge_requests/\(host.number)/notes"
        case .bitbucketCloud: "\(host.root)/pullrequests/\(host.number)/comments"
        case .bitbucketServer: "\(host.root)/pull-requests/\(host.number)/comments"
        case .azureDevOps: "\(host.root)/pullRequests/\(host.number)/threads"
        }
    }

    @Test(arguments: PullRequestFilesEndToEndTests.cases)
    func thePlanIsCommentedAndEditedInPlace(_ host: HostCase) async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "completed")
        standIn.outputs(job: 1, PlanCommentEndToEndTests.plan)
        standIn.script(job: 2, "completed")
        standIn.outputs(job: 2, "No changes. Your infrastructure matches the configuration.")
        let repository = """
            repository: \(host.repository)
            routes:
              - branches: ["master"]
                workspace: ws-comment
                template: tpl-apply
                pull_requests:
                  template: tpl-plan
                  allow_forks: true
            """
        try await PullRequestFilesEndToEndTests.run(host, git, repository: repository, standIn: standIn) { relay in
            _ = try await PullRequestFilesEndToEndTests.send(relay, host, delivery: "cm-1-\(host.kind)")
            #expect(
                await eventually(within: .seconds(20)) {
                    git.comments.all.first?.body.contains("Plan: 1 to add, 0 to change, 0 to destroy.") == true
                }
            )
            let first = try #require(git.comments.all.first)
            #expect(first.path == Self.commentPath(host))
            // The next head (the fixture's, under another delivery and with another head commit).
            let body = String(
                decoding: PullRequestFilesEndToEndTests.body(host, delivery: "cm-2-\(host.kind)"),
                as: UTF8.self
            )
            let head = try #require(relay.standIn.jobs.first?.attributes["commitId"] ?? Self.abbreviatedHead(host))
            let next = Array(body.replacingOccurrences(of: head, with: String(head.reversed())).utf8)
            let event = Fixture.load(host.fixture.folder, host.fixture.name).meta.event_header
            let headers = FixtureHeaders.signed(
                event: event,
                body: next,
                secret: host.secret,
                delivery: "cm-2-\(host.kind)"
            )
            _ = try await relay.post(host.hook, headers: headers.fields.map { ($0.name, $0.value) }, body: next)
            #expect(
                await eventually(within: .seconds(20)) {
                    git.comments.all.first?.body.contains("No changes.") == true
                }
            )
            #expect(git.comments.all.count == 1)
            #expect(git.comments.all.first?.edits ?? 0 >= 1)
        }
    }

    /// Bitbucket Cloud's payload gives the head abbreviated, and its job is sent without one.
    static func abbreviatedHead(_ host: HostCase) -> String? {
        Fixture.load(host.fixture.folder, host.fixture.name).meta.pull_request?.head_sha
    }
}

/// Two replicas on one PostgreSQL database: the sections of one pull request's plans, written by whichever
/// replica follows each job, make one comment, posted once and then edited, never two.
@Suite(.timeLimit(.minutes(3)), .enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
struct PlanCommentReplicaTests {
    @Test func twoReplicasKeepOneCommentPerPullRequest() async throws {
        let git = GitHostStandIn()
        let terrakube = TerrakubeStandIn(token: RelayHarness.token)
        for job in 1...6 {
            terrakube.script(job: job, "running", "completed")
            terrakube.outputs(job: job, "Plan: \(job) to add, 0 to change, 0 to destroy.")
        }
        try await git.whileRunning { url in
            try await terrakube.whileRunning { terrakubeURL in
                let setup = try ProcessLifecycleTests.Setup.postgres(
                    terrakubeURL: terrakubeURL,
                    service: """
                        hosts:
                          github.com: {kind: github, api_url: "\(url)", token_env: STATUS_TOKEN}
                        """
                )
                defer { setup.remove() }
                let routes = (1...3).map { index in
                    """
                      - branches: ["master"]
                        workspace: ws-\(index)
                        template: tpl-apply
                        pull_requests:
                          template: tpl-plan
                    """
                }
                try """
                repository: https://github.com/Codertocat/Hello-World.git
                secret_env: GH_SECRET
                routes:
                \(routes.joined(separator: "\n"))
                """.write(toFile: setup.directory + "/repos/hello.yaml", atomically: true, encoding: .utf8)
                let replicas = [try setup.start("a"), try setup.start("b")]
                let ports = [try await replicas[0].port(), try await replicas[1].port()]
                let client = ReplicaTests.client()
                for (index, head) in ["a", "b"].enumerated() {
                    let body = PullRequestEndToEndTests.pullRequest(head: PullRequestEndToEndTests.sha(Character(head)))
                    let status = await ReplicaTests.post(
                        client,
                        port: ports[index],
                        body: body,
                        headers: RelayHarness.github(body, event: "pull_request", delivery: "rp-\(head)")
                    )
                    #expect(status == 202)
                    let summaries = (1...3).map { "Plan: \(index * 3 + $0) to add" }
                    #expect(
                        await eventually(within: .seconds(30)) {
                            let body = git.comments.all.first?.body ?? ""
                            return summaries.allSatisfy(body.contains)
                        },
                        "head \(head): \(git.comments.all.map(\.body))"
                    )
                    #expect(git.comments.all.count == 1)
                }
                try? await client.shutdown()
                try await ReplicaTests.stop(replicas)
                #expect(git.comments.all.count == 1)
            }
        }
    }
}
