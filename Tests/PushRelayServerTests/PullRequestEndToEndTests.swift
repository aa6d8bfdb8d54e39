import AsyncHTTPClient
import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// Pull request plans through the real listener, store and dispatcher (SPEC section 11).
@Suite(.timeLimit(.minutes(3)))
struct PullRequestEndToEndTests {
    /// Codertocat/Hello-World, planning pull requests into `master` with `tpl-plan`.
    static let hello = """
        repository: https://github.com/Codertocat/Hello-World.git
        secret_env: GH_SECRET
        routes:
          - branches: ["master"]
            workspace: ws-hello
            template: tpl-apply
            pull_requests:
              template: tpl-plan
        """

    static let prepare: @Sendable (String) throws -> Void = { directory in
        try Self.hello.write(toFile: directory + "/repos/hello.yaml", atomically: true, encoding: .utf8)
    }

    /// octokit's `opened` pull request #2 (`changes` into `master`), with its head commit and action replaced.
    static func pullRequest(head: String, action: String = "synchronize") -> [UInt8] {
        Array(
            String(decoding: Fixture.load("github", "octokit-pull_request-opened").body, as: UTF8.self)
                .replacingOccurrences(of: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", with: head)
                .replacingOccurrences(of: #""action": "opened""#, with: #""action": "\#(action)""#).utf8
        )
    }

    static func sha(_ digit: Character) -> String { String(repeating: digit, count: 40) }

    /// Sends pull request #2 at `head` as GitHub would, under `delivery`.
    static func send(
        _ relay: RelayHarness,
        head: String,
        action: String = "synchronize",
        delivery: String
    ) async throws -> RelayHarness.Answer {
        let body = Self.pullRequest(head: head, action: action)
        return try await relay.post(
            "/hooks/github",
            headers: RelayHarness.github(body, event: "pull_request", delivery: delivery),
            body: body
        )
    }

    static func commits(_ standIn: TerrakubeStandIn) -> [String] {
        standIn.jobs.compactMap { $0.attributes["commitId"] }
    }

    /// The plan of a head is created once however many deliveries carry it; a newer head drops the plan of
    /// an older one whose attempt was in flight and failed, and that plan is never sent again.
    @Test func aHeadPlansOnceAndANewerHeadSupersedesAPlanInFlight() async throws {
        try await RelayHarness.run(prepare: Self.prepare) { (relay: RelayHarness) async throws in
            let (a, b, c) = (Self.sha("a"), Self.sha("b"), Self.sha("c"))
            let first = try await Self.send(relay, head: a, action: "opened", delivery: "pr-a1")
            #expect(first.status == 202)
            #expect(first.body["jobs"] as? Int == 1)
            #expect(try await relay.job("pr-a1", reaching: .done) != nil)
            let job = try #require(relay.standIn.jobs.first)
            #expect(job.workspace == "ws-hello")
            #expect(job.attributes["templateReference"] == "tpl-plan")
            #expect(job.attributes["overrideBranch"] == "changes")
            #expect(job.attributes["commitId"] == a)

            // The same head again (GitHub sends `edited`, `labeled`… with it too): stored, not queued again.
            let second = try await Self.send(relay, head: a, action: "reopened", delivery: "pr-a2")
            #expect(second.status == 202)
            #expect(try await relay.store.jobs(provider: .github, deliveryID: "pr-a2").isEmpty)

            // Head b's attempt is held by Terrakube when head c arrives, then fails.
            let gate = Gate()
            relay.standIn.inject(.holdThenFail(gate))
            #expect(try await Self.send(relay, head: b, delivery: "pr-b").status == 202)
            let inFlight = await eventually {
                relay.standIn.requests.contains {
                    $0.method == "POST" && String(decoding: $0.body, as: UTF8.self).contains(b)
                }
            }
            #expect(inFlight)
            #expect(try await Self.send(relay, head: c, delivery: "pr-c").status == 202)
            gate.open()
            let dropped = try #require(try await relay.job("pr-b", reaching: .superseded))
            #expect(dropped.history.map(\.outcome) == ["retry"])
            #expect(try await relay.job("pr-c", reaching: .done) != nil)
            #expect(Self.commits(relay.standIn) == [a, c])
        }
    }

    /// With statuses configured, a plan's status goes on the head commit, named `…/plan`.
    @Test func aPlansStatusIsNamedAfterItsWorkspaceAndPlan() async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "completed")
        try await git.whileRunning { gitURL in
            let prepare: @Sendable (String) throws -> Void = { directory in
                try Self.prepare(directory)
                try StatusEndToEndTests.withUIURL(directory)
            }
            try await RelayHarness.run(
                service: StatusEndToEndTests.service(gitURL),
                prepare: prepare,
                standIn: standIn
            ) { (relay: RelayHarness) async throws in
                let head = Self.sha("d")
                #expect(try await Self.send(relay, head: head, action: "opened", delivery: "pr-st").status == 202)
                let finished = await eventually(within: .seconds(30)) {
                    git.requests.last?.json?["state"] as? String == "success"
                }
                #expect(finished)
                for post in git.requests {
                    #expect(post.target == "/repos/Codertocat/Hello-World/statuses/\(head)")
                    #expect(post.json?["context"] as? String == "pushrelay/ws-hello/plan")
                }
            }
        }
    }

    /// Bitbucket Cloud gives the head abbreviated: the job carries the full sha, asked of Bitbucket's API
    /// with the status token; the statuses go on the commit as the payload names it.
    @Test func bitbucketCloudsAbbreviatedHeadIsResolvedThroughItsAPI() async throws {
        let git = GitHostStandIn()
        let full = "507a576e59b3" + String(repeating: "0", count: 28)
        git.know(commit: "507a576e59b3", fullSHA: full)
        try await git.whileRunning { gitURL in
            let prepare: @Sendable (String) throws -> Void = { directory in
                try StatusEndToEndTests.withUIURL(directory)
                try """
                repository: bitbucket.org/brydzewski/foo
                secret_env: BB_SECRET
                routes:
                  - branches: ["master"]
                    workspace: ws-bb
                    template: tpl-apply
                    pull_requests: {template: tpl-plan}
                """.write(toFile: directory + "/repos/bitbucket-cloud.yaml", atomically: true, encoding: .utf8)
            }
            try await RelayHarness.run(
                service: StatusEndToEndTests.service([(host: "bitbucket.org", kind: "bitbucket-cloud", url: gitURL)]),
                prepare: prepare
            ) { (relay: RelayHarness) async throws in
                let body = Fixture.load("bitbucket-cloud", "go-scm-pr-created-slashbranch").body
                let headers = [
                    ("X-Event-Key", "pullrequest:created"), ("X-Request-UUID", "pr-bb"),
                    ("X-Hub-Signature", "sha256=" + ProviderCase.hex(body, "bb-secret")),
                ]
                #expect(try await relay.post("/hooks/bitbucket", headers: headers, body: body).status == 202)
                #expect(try await relay.job("pr-bb", provider: .bitbucket, reaching: .done) != nil)
                let job = try #require(relay.standIn.jobs.first)
                #expect(job.attributes["commitId"] == full)
                #expect(job.attributes["overrideBranch"] == "feature/develop")
                let lookup = try #require(git.reads.first { $0.target.contains("/commit/") })
                #expect(lookup.target == "/repositories/brydzewski/foo/commit/507a576e59b3")
                #expect(lookup.headers["authorization"] == "Bearer status-token")
                let posted = await eventually(within: .seconds(15)) { !git.requests.isEmpty }
                #expect(posted)
                #expect(
                    git.requests.allSatisfy {
                        $0.target == "/repositories/brydzewski/foo/commit/507a576e59b3/statuses/build"
                            && $0.json?["name"] as? String == "pushrelay/ws-bb/plan"
                    }
                )
            }
        }
    }

    /// The same head, delivered once to each of two replicas at the same instant under two delivery ids
    /// (as a host sends `synchronize` and then `labeled`), is planned once.
    @Test(.timeLimit(.minutes(3)), .enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
    func theSameHeadAtTwoReplicasAtOncePlansOnce() async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        try await standIn.whileRunning { terrakube in
            let setup = try ReplicaTests.setup(
                try PostgresTestCluster.shared().createDatabase(),
                terrakubeURL: terrakube
            )
            defer { setup.remove() }
            try Self.prepare(setup.directory)
            let replicas = [try setup.start("a"), try setup.start("b")]
            let ports = [try await replicas[0].port(), try await replicas[1].port()]
            let client = ReplicaTests.client()
            let rounds = 10
            for round in 0..<rounds {
                let body = Self.pullRequest(head: String(format: "%040d", round))
                let statuses = await withTaskGroup(of: Int?.self) { group in
                    for replica in 0..<2 {
                        group.addTask {
                            await ReplicaTests.post(
                                client,
                                port: ports[replica],
                                body: body,
                                headers: RelayHarness.github(
                                    body,
                                    event: "pull_request",
                                    delivery: "r\(round)-\(replica)"
                                )
                            )
                        }
                    }
                    return await group.reduce(into: [Int?]()) { $0.append($1) }
                }
                #expect(statuses == [202, 202], "round \(round)")
            }
            let created = await eventually(within: .seconds(30)) { standIn.jobs.count >= rounds }
            #expect(created)
            try? await client.shutdown()
            try await ReplicaTests.stop(replicas)
            let counts = ProcessLifecycleTests.jobCounts(standIn)
            #expect(counts.count == rounds)
            #expect(counts.values.allSatisfy { $0 == 1 }, "planned twice: \(counts.filter { $0.value > 1 })")
        }
    }

    /// `replay` on a saved pull request delivery, with the real binary: the dry run shows the plan as
    /// `serve` then takes it, and `--to` signs it as `serve` verifies; sent again under a fresh id, the
    /// same head plans nothing more.
    @Test func aReplayedPullRequestPlansItsHeadOnce() async throws {
        let folder = NSTemporaryDirectory() + "pushrelay-pr-replay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await RelayHarness.run(prepare: Self.prepare) { (relay: RelayHarness) async throws in
            let head = Self.sha("e")
            let saved = SavedDelivery(
                provider: "github",
                receivedAt: Date(),
                headers: ["X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "saved-pr"],
                body: Self.pullRequest(head: head, action: "opened")
            )
            let file = folder + "/pr.json"
            try Data(saved.encoded()).write(to: URL(fileURLWithPath: file))

            let dry = try await RelayProcess.run(
                ["replay", "--config", relay.directory, "--json", file],
                environment: RelayHarness.environment
            )
            #expect(dry.status == 0, "\(dry.stderr)")
            let line = try #require(
                try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any],
                "\(dry.stdout)"
            )
            #expect(line["decision"] as? String == "queue")
            #expect(line["branch"] as? String == "changes")
            #expect(line["commit"] as? String == head)
            #expect((line["pull_request"] as? [String: Any])?["target"] as? String == "master")

            for round in 1...2 {
                let sent = try await RelayProcess.run(
                    ["replay", "--config", relay.directory, "--to", relay.baseURL, file],
                    environment: RelayHarness.environment
                )
                #expect(sent.status == 0, "round \(round): \(sent.stdout)\(sent.stderr)")
                #expect(sent.stdout.contains("202 queued, 1 job"), "round \(round): \(sent.stdout)")
            }
            // The second delivery was stored, but its head's plan was already there: one item in all.
            #expect(try await eventually { try await relay.store.jobCounts() == [.done: 1] })
            #expect(Self.commits(relay.standIn) == [head])
        }
    }
}
