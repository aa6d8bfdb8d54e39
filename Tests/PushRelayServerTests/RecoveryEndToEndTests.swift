import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import Testing

/// Missed-push recovery end to end (SPEC section 12): the real listener and dispatchers, real Git
/// repositories served by `git http-backend` behind the Git-host stand-in at each host kind's clone URL,
/// and the Terrakube stand-in. Pushes are made with `git`; some get their webhook, some do not.
struct RecoveryEndToEndTests {
    /// A harness repository on each host kind, where its clone URL's path is, and the branch its route
    /// watches; Gogs gets a repository file of its own.
    struct HostCase: Sendable, CustomTestStringConvertible {
        var kind: String
        var repository: String
        var clonePath: String
        var branch: String
        var workspace: String
        var authorization: String

        var testDescription: String { self.kind }

        static func basic(_ user: String, _ password: String) -> String {
            "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }

        static let all: [HostCase] = [
            .init(
                kind: "github",
                repository: "github.com/codertocat/hello-world",
                clonePath: "/Codertocat/Hello-World.git",
                branch: "master",
                workspace: "ws-hello",
                authorization: basic("x-access-token", "status-token")
            ),
            .init(
                kind: "gitlab",
                repository: "example.com/mike/diaspora",
                clonePath: "/mike/diaspora.git",
                branch: "master",
                workspace: "ws-diaspora",
                authorization: basic("oauth2", "status-token")
            ),
            .init(
                kind: "gitea",
                repository: "localhost/gitea/webhooks",
                clonePath: "/gitea/webhooks.git",
                branch: "develop",
                workspace: "ws-gitea",
                authorization: basic("status-token", "x-oauth-basic")
            ),
            .init(
                kind: "gogs",
                repository: "gogs.example.com/acme/infra",
                clonePath: "/acme/infra.git",
                branch: "main",
                workspace: "ws-gogs",
                authorization: basic("status-token", "x-oauth-basic")
            ),
            .init(
                kind: "bitbucket-cloud",
                repository: "bitbucket.org/brydzewski/foo",
                clonePath: "/brydzewski/foo.git",
                branch: "master",
                workspace: "ws-bb",
                authorization: basic("x-token-auth", "status-token")
            ),
            .init(
                kind: "bitbucket-server",
                repository: "bitbucket.example.com/prj/my-repo",
                clonePath: "/scm/PRJ/my-repo.git",
                branch: "master",
                workspace: "ws-bbs",
                authorization: "Bearer status-token"
            ),
            .init(
                kind: "azure-devops",
                repository: "dev.azure.com/fabrikam-fiber-inc/fabrikam-fiber-git/fabrikam-fiber-git",
                clonePath: "/fabrikam-fiber-inc/Fabrikam-Fiber-Git/_git/Fabrikam-Fiber-Git",
                branch: "master",
                workspace: "ws-azure",
                authorization: basic("", "status-token")
            ),
        ]
    }

    /// `hosts` for every harness host (an identity drops the port), all at the stand-in (a repository it does not serve answers `404`),
    /// and recovery every `poll` seconds.
    static func service(_ url: String, poll: Double = 0.2) -> String {
        let hosts = [
            ("github.com", "github"), ("example.com", "gitlab"), ("localhost", "gitea"),
            ("gogs.example.com", "gogs"), ("bitbucket.org", "bitbucket-cloud"),
            ("bitbucket.example.com", "bitbucket-server"), ("dev.azure.com", "azure-devops"),
        ]
        return """
            hosts:
            \(hosts.map { "  \($0.0): {kind: \($0.1), api_url: \"\(url)\", git_url: \"\(url)\", token_env: STATUS_TOKEN}" }.joined(separator: "\n"))
            recovery:
              poll_seconds: \(poll)
            """
    }

    static let gogsRepository = """
        repository: gogs.example.com/acme/infra
        secret_env: GH_SECRET
        routes:
          - branches: ["main"]
            workspace: ws-gogs
            template: tpl-apply
        """

    static func prepare(_ directory: String) throws {
        try Self.gogsRepository.write(toFile: directory + "/repos/gogs.yaml", atomically: true, encoding: .utf8)
    }

    /// Reads of `path`'s refs so far.
    static func reads(_ git: GitHostStandIn, _ path: String) -> [GitHostStandIn.Recorded] {
        git.gitReads.filter { $0.target.hasPrefix(path + "/info/refs") }
    }

    /// Waits for two more reads of `path`: a round that started after this call has ended.
    static func aRoundLater(_ git: GitHostStandIn, _ path: String) async -> Bool {
        let seen = Self.reads(git, path).count
        return await eventually(within: .seconds(20)) { Self.reads(git, path).count >= seen + 2 }
    }

    /// Waits for the repository's first round to have been taken.
    static func baselined(_ relay: RelayHarness, _ repository: String) async -> Bool {
        await eventually(within: .seconds(20)) { (try? await relay.store.heads(of: repository).baselined) == true }
    }

    static func jobs(_ terrakube: TerrakubeStandIn, workspace: String, commit: String) -> Int {
        terrakube.jobs.filter { $0.workspace == workspace && $0.attributes["commitId"] == commit }.count
    }

    @Test(arguments: HostCase.all)
    func aPushWithoutItsWebhookIsQueuedOnceByTheNextRound(_ host: HostCase) async throws {
        let repository = try GitRepository()
        let first = try repository.commit(["envs/prod/main.tf": "a"], on: host.branch)
        let git = GitHostStandIn()
        git.serve(repository, at: host.clonePath)
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url), prepare: Self.prepare) { relay in
                // The first round only remembers: nothing starts.
                #expect(await Self.baselined(relay, host.repository))
                #expect(await Self.aRoundLater(git, host.clonePath))
                #expect(relay.standIn.jobs.isEmpty)
                #expect(Self.reads(git, host.clonePath).last?.headers["authorization"] == host.authorization)

                // A push whose webhook never came: the next round queues it, once.
                let missed = try repository.commit(["envs/prod/main.tf": "b"], on: host.branch)
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: host.workspace, commit: missed) == 1
                    }
                )
                let recovered = try await relay.store.deliveries(
                    withID: "recovered:refs/heads/\(host.branch)@\(missed)",
                    provider: nil
                )
                #expect(recovered.map(\.summary.signature) == ["polled"])
                #expect(recovered.map(\.summary.event) == ["push"])

                // A force-push back to the first commit is a new head, and queued.
                try repository.forcePush(host.branch, to: first)
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: host.workspace, commit: first) == 1
                    }
                )
                #expect(await Self.aRoundLater(git, host.clonePath))
                #expect(relay.standIn.jobs.filter { $0.workspace == host.workspace }.count == 2)
            }
        }
    }

    /// A webhook and a round for one commit, in either order, queue it once; a webhook that is late for a
    /// recovered push is answered `202` with no jobs and the reason.
    @Test func aWebhookAndARoundForOneCommitQueueItOnce() async throws {
        let host = HostCase.all[0]
        let repository = try GitRepository()
        let first = try repository.commit(["envs/prod/main.tf": "a"], on: host.branch)
        let git = GitHostStandIn()
        git.serve(repository, at: host.clonePath)
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url), prepare: Self.prepare) { relay in
                #expect(await Self.baselined(relay, host.repository))
                // Recovered first, then its webhook arrives late.
                let missed = try repository.commit(["envs/prod/main.tf": "b"], on: host.branch)
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: host.workspace, commit: missed) == 1
                    }
                )
                let late = RelayHarness.githubPush(after: missed, before: first)
                let answer = try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(late, delivery: "late-1"),
                    body: late
                )
                #expect(answer.status == 202)
                #expect(answer.body["jobs"] as? Int == 0)
                #expect(answer.body["reason"] as? String == "already queued for \(missed)")

                // The webhook first: the rounds after it queue nothing more.
                let next = try repository.commit(["envs/prod/main.tf": "c"], on: host.branch)
                let pushed = RelayHarness.githubPush(after: next, before: missed)
                let queued = try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(pushed, delivery: "on-time-1"),
                    body: pushed
                )
                #expect(queued.body["jobs"] as? Int == 1)
                #expect(await Self.aRoundLater(git, host.clonePath))
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: host.workspace, commit: next) == 1
                    }
                )
                #expect(relay.standIn.jobs.filter { $0.workspace == host.workspace }.count == 2)
                #expect(
                    try await relay.store.deliveries(withID: "recovered:refs/heads/master@\(next)", provider: nil)
                        .isEmpty
                )

                // A branch no route watches is remembered, and not found again by the next rounds.
                let side = try repository.commit(["notes.md": "x"], on: "feature")
                #expect(
                    await eventually(within: .seconds(20)) {
                        (try? await relay.store.heads(of: host.repository).heads["refs/heads/feature"]) == side
                    }
                )
                #expect(
                    try await relay.store.deliveries(withID: "recovered:refs/heads/feature@\(side)", provider: nil)
                        .isEmpty
                )
            }
        }
    }

    /// A host that says its rate limit is spent is not asked again before it said; another host's rounds
    /// go on meanwhile.
    @Test func aRateLimitedHostWaitsAndNoOtherDoes() async throws {
        let (github, gitlab) = (HostCase.all[0], HostCase.all[1])
        let limited = try GitRepository()
        let other = try GitRepository()
        try limited.commit(["a": "1"], on: github.branch)
        try other.commit(["a": "1"], on: gitlab.branch)
        let git = GitHostStandIn()
        git.serve(limited, at: github.clonePath)
        git.serve(other, at: gitlab.clonePath)
        git.injectGit(.answer(429, headers: ["Retry-After": "2"], body: "slow down"), at: github.clonePath)
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url), prepare: Self.prepare) { relay in
                #expect(await eventually(within: .seconds(20)) { !Self.reads(git, github.clonePath).isEmpty })
                let refused = try #require(Self.reads(git, github.clonePath).first).at
                // The other host's rounds go on: several while the limited host waits.
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.reads(git, gitlab.clonePath).filter { $0.at > refused }.count >= 4
                    }
                )
                #expect(await Self.baselined(relay, github.repository))
                let reads = Self.reads(git, github.clonePath)
                #expect(reads.count >= 2)
                #expect(reads[1].at.timeIntervalSince(refused) >= 2, "asked again before Retry-After")
                // The host's other repository waits too (a round already under way when the answer came
                // aside).
                let sameHost = git.gitReads.filter {
                    $0.target.hasPrefix("/bradrydzewski/") && $0.at.timeIntervalSince(refused) > 0.1
                        && $0.at.timeIntervalSince(refused) < 1.9
                }
                #expect(sameHost.isEmpty)
                let metrics = try PrometheusText(try await relay.get("/metrics").text)
                #expect(
                    metrics["pushrelay_recovery_rounds_total", ["host": "github.com", "result": "rate-limited"]] == 1
                )
                #expect(
                    (metrics["pushrelay_recovery_rounds_total", ["host": "example.com", "result": "ok"]] ?? 0) >= 1
                )
                #expect(
                    (metrics["pushrelay_recovery_last_round_timestamp_seconds", ["host": "github.com"]] ?? 0) > 0
                )
            }
        }
    }

    /// `pushrelay recover` as an operator runs it after an outage: the real binary, one round now; a dry
    /// run remembers and queues nothing.
    @Test func recoverRunsOneRoundNowAndADryRunChangesNothing() async throws {
        let host = HostCase.all[0]
        let repository = try GitRepository()
        try repository.commit(["envs/prod/main.tf": "a"], on: host.branch)
        let git = GitHostStandIn()
        git.serve(repository, at: host.clonePath)
        let directory = NSTemporaryDirectory() + "pushrelay-recover-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await git.whileRunning { url in
            _ = try RelayHarness.writeConfig(directory, terrakubeURL: "http://127.0.0.1:9", service: Self.service(url))
            let recover = { (arguments: [String]) in
                try await RelayProcess.run(
                    ["recover", "--config", directory, "--repository", "github.com/Codertocat/Hello-World"] + arguments,
                    environment: RelayHarness.environment
                )
            }
            var run = try await recover(["--dry-run"])
            #expect(run.stdout == "github.com/codertocat/hello-world: would remember 1 refs (first round)\n", "\(run)")
            #expect(try await recover(["--dry-run"]).stdout.contains("would remember"))
            run = try await recover([])
            #expect(run.status == 0)
            #expect(run.stdout.contains("remembered 1 refs (first round)"))

            let missed = try repository.commit(["envs/prod/main.tf": "b"], on: host.branch)
            run = try await recover(["--dry-run"])
            #expect(run.stdout.contains("would queue refs/heads/master@\(missed): 1 job"), "\(run)")
            run = try await recover([])
            #expect(run.stdout.contains("queued refs/heads/master@\(missed): 1 job"), "\(run)")
            #expect(try await recover([]).stdout.contains("nothing missed"))
            let list = try await RelayProcess.run(["deliveries", "list", "--config", directory])
            #expect(list.stdout.contains("recovered:refs/heads/master@\(missed)"), "\(list)")

            // Every repository: those the stand-in does not serve cannot be read, and the command says so.
            let all = try await RelayProcess.run(
                ["recover", "--config", directory],
                environment: RelayHarness.environment
            )
            #expect(all.status == 1)
            #expect(all.stdout.contains("github.com/bradrydzewski/drone-test-go: cannot read: HTTP 404"), "\(all)")

            // `check --online` names each repository file recovery cannot read, and no other.
            let check = try await RelayProcess.run(
                ["check", "--online", "--config", directory],
                environment: RelayHarness.environment
            )
            #expect(check.status == 1)
            let unreadable = check.stdout.split(separator: "\n").filter { $0.contains("recovery on") }
            #expect(
                unreadable.contains {
                    $0.hasSuffix(
                        "drone.yaml: recovery on github.com: cannot read: HTTP 404: cannot read the repository"
                    )
                },
                "\(check)"
            )
            #expect(!unreadable.contains { $0.contains("hello.yaml") }, "\(check)")
        }
    }

    /// Deliveries out of order, with webhooks alone (recovery off): an older commit after a newer one
    /// queues nothing once GitHub's compare says the head contains it; a newer one whose `before` is not
    /// the head is queued, and moves the head.
    @Test func anOlderCommitAfterANewerOneQueuesNothing() async throws {
        let host = HostCase.all[0]
        let repository = try GitRepository()
        let first = try repository.commit(["a": "1"], on: host.branch)
        let second = try repository.commit(["a": "2"], on: host.branch)
        let third = try repository.commit(["a": "3"], on: host.branch)
        let git = GitHostStandIn()
        git.serve(repository, at: host.clonePath)
        try await git.whileRunning { url in
            let service = """
                hosts:
                  github.com: {kind: github, api_url: "\(url)", token_env: STATUS_TOKEN}
                """
            try await RelayHarness.run(service: service) { relay in
                func push(_ id: String, after: String, before: String) async throws -> RelayHarness.Answer {
                    let body = RelayHarness.githubPush(after: after, before: before)
                    return try await relay.post(
                        "/hooks/github",
                        headers: RelayHarness.github(body, delivery: id),
                        body: body
                    )
                }
                #expect(try await push("o-3", after: third, before: second).body["jobs"] as? Int == 1)
                let late = try await push("o-2", after: second, before: first)
                #expect(late.status == 202)
                #expect(late.body["jobs"] as? Int == 0)
                #expect(
                    (late.body["reason"] as? String)?.hasPrefix("out of order: refs/heads/master is at \(third)")
                        == true
                )
                func check(_ id: String) async throws -> WorkRecord? {
                    try await relay.store.work(provider: .github, deliveryID: id).first {
                        $0.kind == OrderCheck.type.kind
                    }
                }
                #expect(await eventually(within: .seconds(20)) { (try? await check("o-2"))?.state == .done })
                #expect(try await check("o-2")?.history.last?.detail == "older than \(third): nothing queued")
                #expect(Self.jobs(relay.standIn, workspace: host.workspace, commit: second) == 0)

                // Newer, though its `before` is not the head (a delivery in between was lost): queued.
                let fourth = try repository.commit(["a": "4"], on: host.branch)
                let next = try repository.commit(["a": "5"], on: host.branch)
                _ = try await push("o-5", after: next, before: fourth)
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: host.workspace, commit: next) == 1
                    }
                )
                #expect(try await check("o-5")?.history.last?.detail == "newer than \(third): queued")
                #expect(try await relay.store.heads(of: host.repository).heads["refs/heads/master"] == next)
                #expect(relay.standIn.jobs.filter { $0.workspace == host.workspace }.count == 2)
            }
        }
    }

    /// Two replicas on one PostgreSQL database, both polling the same repository: each missed push is
    /// queued once, never twice.
    @Test(.timeLimit(.minutes(3)), .enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
    func twoReplicasOnPostgresQueueEachMissedPushOnce() async throws {
        let host = HostCase.all[0]
        let repository = try GitRepository()
        try repository.commit(["a": "0"], on: host.branch)
        let git = GitHostStandIn()
        git.serve(repository, at: host.clonePath)
        let terrakube = TerrakubeStandIn(token: RelayHarness.token)
        try await git.whileRunning { url in
            try await terrakube.whileRunning { terrakubeURL in
                let setup = try ProcessLifecycleTests.Setup.postgres(
                    terrakubeURL: terrakubeURL,
                    service: """
                        hosts:
                          github.com: {kind: github, api_url: "\(url)", git_url: "\(url)", token_env: STATUS_TOKEN}
                        recovery:
                          poll_seconds: 0.1
                        """
                )
                defer { setup.remove() }
                let replicas = [try setup.start("a"), try setup.start("b")]
                for replica in replicas { _ = try await replica.port() }
                // Both replicas have taken their rounds: the baseline is taken, once.
                #expect(await eventually(within: .seconds(30)) { Self.reads(git, host.clonePath).count >= 6 })
                var commits: [String] = []
                for round in 1...5 {
                    let commit = try repository.commit(["a": "\(round)"], on: host.branch)
                    commits.append(commit)
                    #expect(
                        await eventually(within: .seconds(30)) {
                            Self.jobs(terrakube, workspace: host.workspace, commit: commit) >= 1
                        },
                        "round \(round)"
                    )
                }
                #expect(await Self.aRoundLater(git, host.clonePath))
                #expect(await Self.aRoundLater(git, host.clonePath))
                try await ReplicaTests.stop(replicas)
                #expect(commits.map { Self.jobs(terrakube, workspace: host.workspace, commit: $0) } == [1, 1, 1, 1, 1])
                #expect(terrakube.jobs.count == 5)
            }
        }
    }

    /// A recovered push is matched against `paths` with the files GitHub's compare lists between the
    /// remembered head and the new one.
    @Test func aRecoveredPushPlansOnlyTheRoutesItsFilesTouch() async throws {
        let repository = try GitRepository()
        try repository.commit(["envs/prod/main.tf": "a", "docs/index.md": "a"], on: "main")
        let git = GitHostStandIn()
        git.serve(repository, at: "/acme/monorepo.git")
        let monorepo = """
            repository: github.com/acme/monorepo
            secret_env: GH_SECRET
            routes:
              - branches: ["main"]
                paths: ["envs/prod/**"]
                workspace: ws-prod
                template: tpl-apply
              - branches: ["main"]
                paths: ["docs/**"]
                workspace: ws-docs
                template: tpl-apply
            """
        let prepare: @Sendable (String) throws -> Void = { directory in
            try Self.prepare(directory)
            try monorepo.write(toFile: directory + "/repos/monorepo.yaml", atomically: true, encoding: .utf8)
        }
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url), prepare: prepare) { relay in
                #expect(await Self.baselined(relay, "github.com/acme/monorepo"))
                let docs = try repository.commit(["docs/index.md": "b"], on: "main")
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: "ws-docs", commit: docs) == 1
                    }
                )
                let prod = try repository.commit(["envs/prod/main.tf": "b"], on: "main")
                #expect(
                    await eventually(within: .seconds(20)) {
                        Self.jobs(relay.standIn, workspace: "ws-prod", commit: prod) == 1
                    }
                )
                #expect(await Self.aRoundLater(git, "/acme/monorepo.git"))
                #expect(relay.standIn.jobs.filter { $0.workspace == "ws-prod" || $0.workspace == "ws-docs" }.count == 2)
            }
        }
    }

    /// A repository a reload removes is not read; put back, its rounds go on.
    @Test func aRepositoryRemovedAndPutBackIsPolledAgain() async throws {
        let host = HostCase.all[1]
        let repository = try GitRepository()
        try repository.commit(["a": "1"], on: host.branch)
        let git = GitHostStandIn()
        git.serve(repository, at: host.clonePath)
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url), reload: true, prepare: Self.prepare) { relay in
                let file = relay.directory + "/repos/diaspora.yaml"
                let text = try String(contentsOfFile: file, encoding: .utf8)
                #expect(await eventually(within: .seconds(20)) { !Self.reads(git, host.clonePath).isEmpty })
                func reloads() async -> Double {
                    let metrics = try? PrometheusText(try await relay.get("/metrics").text)
                    return metrics?["pushrelay_config_reloads_total", ["result": "success"]] ?? 0
                }
                try FileManager.default.removeItem(atPath: file)
                #expect(await eventually(within: .seconds(30)) { await reloads() >= 1 })
                let before = Self.reads(git, host.clonePath).count
                try text.write(toFile: file, atomically: true, encoding: .utf8)
                #expect(await eventually(within: .seconds(30)) { Self.reads(git, host.clonePath).count > before + 1 })
            }
        }
    }
}
