import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// `status.summary: true` (SPEC section 13): one more status, `pushrelay`, sums up every route of a delivery
/// on its commit, pending while a job runs, failure as soon as one failed, success when all succeeded or
/// none applied; through the real listener and dispatchers, with GitHub's stand-in taking the statuses.
@Suite(.timeLimit(.minutes(2)))
struct StatusSummaryEndToEndTests {
    /// Hello-World with two workspaces on `master`.
    static let twoRoutes = """
        repository: https://github.com/Codertocat/Hello-World.git
        secret_env: GH_SECRET
        routes:
          - branches: ["master"]
            workspace: ws-a
            template: tpl-apply
          - branches: ["master"]
            workspace: ws-b
            template: tpl-apply
        """

    static func run(
        standIn: TerrakubeStandIn,
        _ body: @escaping @Sendable (RelayHarness, GitHostStandIn) async throws -> Void
    ) async throws {
        let git = GitHostStandIn()
        try await git.whileRunning { url in
            let service = StatusEndToEndTests.service([(host: "github.com", kind: "github", url: url)], summary: true)
            let prepare: @Sendable (String) throws -> Void = { directory in
                try Self.twoRoutes.write(toFile: directory + "/repos/hello.yaml", atomically: true, encoding: .utf8)
                try StatusEndToEndTests.withUIURL(directory)
            }
            try await RelayHarness.run(service: service, prepare: prepare, standIn: standIn) { relay in
                try await body(relay, git)
            }
        }
    }

    /// The summary's posts on `commit`, in order: state and description.
    static func summaries(_ git: GitHostStandIn, commit: String) -> [String] {
        git.requests.filter {
            $0.target.hasSuffix("/statuses/" + commit) && $0.json?["context"] as? String == "pushrelay"
        }
        .map { "\($0.json?["state"] as? String ?? "?") \($0.json?["description"] as? String ?? "?")" }
    }

    /// The fixture's push, to `master`, and its commit.
    static let commit = "199eddf46df50de8d02e99bf1c5fdb4101338224"

    static func push(_ relay: RelayHarness, delivery: String) async throws -> Int {
        let body = Fixture.load("github", "go-scm-push").body
        return try await relay.post("/hooks/github", headers: RelayHarness.github(body, delivery: delivery), body: body)
            .status
    }

    /// Whether the summary on `commit` comes to say `last` within 20 s.
    static func reaches(_ git: GitHostStandIn, commit: String = Self.commit, _ last: String) async -> Bool {
        await eventually(within: .seconds(20)) { Self.summaries(git, commit: commit).last == last }
    }

    @Test func aFailedJobFailsTheSummaryAtOnceAndTheCountsFollowTheRest() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // The first job created fails; the second runs until the test lets it complete.
        standIn.script(job: 1, "failed")
        standIn.script(job: 2, "running")
        try await Self.run(standIn: standIn) { (relay: RelayHarness, git: GitHostStandIn) async throws in
            let commit = Self.commit
            #expect(try await Self.push(relay, delivery: "sum-1") == 202)
            #expect(
                await Self.reaches(git, "failure 0/2 jobs succeeded, 1 failed, 1 running"),
                "\(Self.summaries(git, commit: commit))"
            )
            // Never success while a job ran.
            #expect(!Self.summaries(git, commit: commit).contains { $0.hasPrefix("success") })
            standIn.script(job: 2, "completed")
            #expect(
                await Self.reaches(git, "failure 1/2 jobs succeeded, 1 failed"),
                "\(Self.summaries(git, commit: commit))"
            )
        }
    }

    @Test func allSucceededIsSuccessAndAPushNoRouteWatchesIsSuccessToo() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "completed")
        standIn.script(job: 2, "noChanges")
        try await Self.run(standIn: standIn) { (relay: RelayHarness, git: GitHostStandIn) async throws in
            let commit = Self.commit
            #expect(try await Self.push(relay, delivery: "sum-2") == 202)
            #expect(await Self.reaches(git, "success 2/2 jobs succeeded"), "\(Self.summaries(git, commit: commit))")
            #expect(
                !Self.summaries(git, commit: commit).contains {
                    $0.hasPrefix("success") && $0 != "success 2/2 jobs succeeded"
                }
            )

            // A branch no route watches: the summary ends at once.
            let other = String(repeating: "e", count: 40)
            let feature = Array(
                String(decoding: RelayHarness.githubPush(after: other), as: UTF8.self)
                    .replacingOccurrences(of: "\"refs/heads/master\"", with: "\"refs/heads/feature\"").utf8
            )
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(feature, delivery: "sum-3"),
                body: feature
            )
            #expect(answer.status == 200, "nothing to queue: ignored")
            #expect(
                await eventually(within: .seconds(20)) {
                    Self.summaries(git, commit: other) == ["success No workspace affected"]
                },
                "\(Self.summaries(git, commit: other))"
            )
            #expect(standIn.jobs.count == 2)
        }
    }

    /// A pull request touching no route's `paths`: "No changes" for the route, and the summary succeeds
    /// with it counted.
    @Test func aPullRequestThatTouchesNoRouteSucceeds() async throws {
        let host = PullRequestFilesEndToEndTests.cases[0]
        let git = GitHostStandIn()
        git.pullRequestFiles.set(["docs/readme.md"], kind: host.files, root: host.root, number: host.number)
        try await PullRequestFilesEndToEndTests.run(host, git, summary: true) { (relay: RelayHarness) async throws in
            #expect(try await PullRequestFilesEndToEndTests.send(relay, host, delivery: "sum-pr").status == 202)
            let posts = {
                git.requests.filter { $0.json?["context"] as? String == "pushrelay" }
                    .map { "\($0.json?["state"] as? String ?? "?") \($0.json?["description"] as? String ?? "?")" }
            }
            #expect(
                await eventually(within: .seconds(20)) { posts().last == "success 1/1 plan succeeded" },
                "\(posts())"
            )
            // Never success before the route's "No changes" was known.
            let noChanges = git.requests.firstIndex { $0.json?["description"] as? String == "No changes for ws-files" }
            let success = git.requests.firstIndex { $0.json?["description"] as? String == "1/1 plan succeeded" }
            #expect(try #require(success) > (noChanges ?? .max))
            #expect(relay.standIn.jobs.isEmpty)
        }
    }
}
