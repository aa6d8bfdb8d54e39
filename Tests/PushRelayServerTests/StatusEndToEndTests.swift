import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// A push's job shown on its commit through its whole life, for every host kind: the real listener,
/// dispatchers and store, Terrakube's stand-in moving the job through its states, and a Git-host stand-in
/// taking the statuses.
@Suite(.timeLimit(.minutes(2)))
struct StatusEndToEndTests {
    /// The job's life as the commit shows it; `Queued` is PushRelay's own, before Terrakube has the job.
    enum Phase: CaseIterable {
        case relayQueued, queue, running, waitingApproval, completed

        var description: String {
            switch self {
            case .relayQueued: "Queued"
            case .queue: "Terrakube job 1: queued"
            case .running: "Terrakube job 1: running"
            case .waitingApproval: "Terrakube job 1: waiting for approval"
            case .completed: "Terrakube job 1: completed"
            }
        }

        /// What Terrakube says once the post of this phase has arrived.
        var next: String? {
            switch self {
            case .relayQueued: nil
            case .queue: "running"
            case .running: "waitingApproval"
            case .waitingApproval: "completed"
            case .completed: nil
            }
        }

        var done: Bool { self == .completed }

        init?(_ description: String) {
            guard let phase = Self.allCases.first(where: { $0.description == description }) else { return nil }
            self = phase
        }
    }

    /// One host kind: the push that reaches it and the exact requests it must get.
    struct HostCase: Sendable, CustomStringConvertible {
        var kind: String
        var host: String
        /// Appended to the stand-in's URL for `api_url`.
        var apiPath = ""
        var folder: String
        var fixture: String
        var hook: String
        var headers: @Sendable ([UInt8]) -> [(String, String)]
        var workspace: String
        /// The request target, byte for byte.
        var target: String
        var auth: [String: String]
        var body: @Sendable (Phase, String?) -> [String: Any]
        var app = false

        var description: String { self.app ? "\(self.kind) app" : self.kind }
        var context: String { "pushrelay/\(self.workspace)" }
        func runURL() -> String { "https://ui.example.com/organizations/org-1/workspaces/\(self.workspace)/runs/1" }
    }

    static func gitHubBody(_ context: String) -> @Sendable (Phase, String?) -> [String: Any] {
        { phase, link in
            var body: [String: Any] = [
                "state": phase.done ? "success" : "pending", "description": phase.description, "context": context,
            ]
            body["target_url"] = link
            return body
        }
    }

    static func bitbucketBody(_ context: String, key: String) -> @Sendable (Phase, String?) -> [String: Any] {
        { phase, link in
            [
                "key": key, "name": context, "state": phase.done ? "SUCCESSFUL" : "INPROGRESS",
                "url": link ?? "https://ui.example.com", "description": phase.description,
            ]
        }
    }

    static let github = HostCase(
        kind: "github",
        host: "github.com",
        folder: "github",
        fixture: "go-scm-push",
        hook: "/hooks/github",
        headers: { RelayHarness.github($0, delivery: "st-gh") },
        workspace: "ws-hello",
        target: "/repos/Codertocat/Hello-World/statuses/199eddf46df50de8d02e99bf1c5fdb4101338224",
        auth: ["authorization": "Bearer status-token", "x-github-api-version": "2022-11-28"],
        body: gitHubBody("pushrelay/ws-hello")
    )

    static let cases: [HostCase] = [
        github,
        {
            var app = github
            app.app = true
            app.auth["authorization"] = "Bearer ghs_1"
            return app
        }(),
        HostCase(
            kind: "gitlab",
            host: "example.com",
            apiPath: "/api/v4",
            folder: "gitlab",
            fixture: "gitlab-docs-push-hook",
            hook: "/hooks/gitlab",
            headers: { RelayHarness.gitlab($0, uuid: "st-gl") },
            workspace: "ws-diaspora",
            target: "/api/v4/projects/mike%2Fdiaspora/statuses/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            auth: ["private-token": "status-token"],
            body: { phase, link in
                // Never back from running to pending: waiting for approval stays running.
                let state =
                    switch phase {
                    case .relayQueued, .queue: "pending"
                    case .running, .waitingApproval: "running"
                    case .completed: "success"
                    }
                var body: [String: Any] = [
                    "state": state, "description": phase.description, "name": "pushrelay/ws-diaspora",
                ]
                body["target_url"] = link
                return body
            }
        ),
        HostCase(
            kind: "gitea",
            host: "localhost",
            apiPath: "/api/v1",
            folder: "gitea",
            fixture: "gitea-docs-push",
            hook: "/hooks/gitea",
            headers: { body in
                [
                    ("X-Gitea-Event", "push"), ("X-Gitea-Delivery", "st-gt"),
                    ("X-Gitea-Signature", ProviderCase.hex(body, "gitea-secret")),
                ]
            },
            workspace: "ws-gitea",
            target: "/api/v1/repos/gitea/webhooks/statuses/bffeb74224043ba2feb48d137756c8a9331c449a",
            auth: ["authorization": "token status-token"],
            body: gitHubBody("pushrelay/ws-gitea")
        ),
        HostCase(
            kind: "bitbucket-cloud",
            host: "bitbucket.org",
            apiPath: "/2.0",
            folder: "bitbucket-cloud",
            fixture: "go-scm-push",
            hook: "/hooks/bitbucket",
            headers: { body in
                [
                    ("X-Event-Key", "repo:push"), ("X-Request-UUID", "st-bb"),
                    ("X-Hub-Signature", "sha256=" + ProviderCase.hex(body, "bb-secret")),
                ]
            },
            workspace: "ws-bb",
            target: "/2.0/repositories/brydzewski/foo/commit/141977fedf5cf35aa290ac87d4b5177ac4cd9de1/statuses/build",
            auth: ["authorization": "Bearer status-token"],
            // The key: hex SHA-1 of "pushrelay/ws-bb".
            body: bitbucketBody("pushrelay/ws-bb", key: "4d6f03934a70723162555f5ecd2f1220a88b6d99")
        ),
        HostCase(
            kind: "bitbucket-server",
            host: "bitbucket.example.com",
            folder: "bitbucket-server",
            fixture: "go-scm-push-tag-create",
            hook: "/hooks",
            headers: { body in
                [
                    ("X-Event-Key", "repo:refs_changed"), ("X-Request-Id", "st-bbs"),
                    ("X-Hub-Signature", "sha256=" + ProviderCase.hex(body, "bb-secret")),
                ]
            },
            workspace: "ws-bbs",
            // The project key as the config spells it.
            target:
                "/rest/api/latest/projects/PRJ/repos/my-repo/commits/823b2230a56056231c9425d63758fa87078a66b4/builds",
            auth: ["authorization": "Bearer status-token", "x-atlassian-token": "no-check"],
            body: bitbucketBody("pushrelay/ws-bbs", key: "8d20734d35a2be9587f942d82b4378a2cacfc0ab")
        ),
        HostCase(
            kind: "azure-devops",
            host: "dev.azure.com",
            folder: "azure-devops",
            fixture: "msdocs-git-push",
            hook: "/hooks/azure-devops",
            headers: { _ in
                [
                    ("Authorization", "Basic " + Data("pushrelay:az-secret".utf8).base64EncodedString()),
                    ("X-Vss-ActivityId", "st-az"),
                ]
            },
            workspace: "ws-azure",
            target: "/fabrikam-fiber-inc/Fabrikam-Fiber-Git/_apis/git/repositories/Fabrikam-Fiber-Git/commits/"
                + "33b55f7cb7e7e245323987634f960cf4a6e6bc74/statuses?api-version=7.1",
            auth: ["authorization": "Basic " + Data(":status-token".utf8).base64EncodedString()],
            body: { phase, link in
                var body: [String: Any] = [
                    "state": phase.done ? "succeeded" : "pending", "description": phase.description,
                    "context": ["genre": "pushrelay", "name": "ws-azure"],
                ]
                body["targetUrl"] = link
                return body
            }
        ),
    ]

    /// The `status` section, and `hosts` (host → kind, API URL), each with `credentials`.
    static func service(
        _ hosts: [(host: String, kind: String, url: String)],
        app: Bool = false,
        summary: Bool = false
    ) -> String {
        let credentials = app ? "app: {id: \"4711\", private_key_file: app.pem}" : "token_env: STATUS_TOKEN"
        return """
            status:
              summary: \(summary)
              poll_seconds: 0.1
              approval_poll_seconds: 0.1
            hosts:
            \(hosts.map { "  \($0.host): {kind: \($0.kind), api_url: \"\($0.url)\", \(credentials)}" }.joined(separator: "\n"))
            """
    }

    static func service(_ gitURL: String) -> String {
        Self.service([(host: "github.com", kind: "github", url: gitURL)])
    }

    /// Adds `terrakube.ui_url`, which statuses link to.
    static func withUIURL(_ directory: String) throws {
        let path = directory + "/pushrelay.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "  organization: \"\(RelayHarness.organization)\"",
            with: "  organization: \"\(RelayHarness.organization)\"\n  ui_url: \"https://ui.example.com\""
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func same(_ lhs: [String: Any]?, _ rhs: [String: Any]) -> Bool {
        lhs.map { NSDictionary(dictionary: $0).isEqual(to: rhs) } ?? false
    }

    /// Each state is posted once, in order, with the exact request the host kind takes: Terrakube moves
    /// the job on only once the host has the state before, so no state is replaced before it is sent
    /// (but PushRelay's `Queued`, when Terrakube has the job before it is posted).
    @Test(arguments: Self.cases)
    func everyStateOfAJobIsShownOnItsCommit(_ scenario: HostCase) async throws {
        let pem: String?
        let git: GitHostStandIn
        if scenario.app {
            let (app, key) = try GitHostStandIn.App.withNewKey(id: "4711", installations: ["Codertocat/Hello-World": 5])
            (git, pem) = (GitHostStandIn(app: app), key)
        } else {
            (git, pem) = (GitHostStandIn(), nil)
        }
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "queue")
        git.onPost { request in
            let phase = (request.json?["description"] as? String).flatMap(Phase.init)
            if let next = phase?.next { standIn.script(job: 1, next) }
        }
        try await git.whileRunning { gitURL in
            let service = Self.service(
                [(host: scenario.host, kind: scenario.kind, url: gitURL + scenario.apiPath)],
                app: scenario.app
            )
            let prepare: @Sendable (String) throws -> Void = { directory in
                try Self.withUIURL(directory)
                try pem?.write(toFile: directory + "/app.pem", atomically: true, encoding: .utf8)
            }
            try await RelayHarness.run(service: service, prepare: prepare, standIn: standIn) {
                (relay: RelayHarness) async throws in
                let body = Fixture.load(scenario.folder, scenario.fixture).body
                #expect(try await relay.post(scenario.hook, headers: scenario.headers(body), body: body).status == 202)
                let finished = await eventually(within: .seconds(30)) {
                    git.requests.last?.json?["description"] as? String == Phase.completed.description
                }
                #expect(finished)
                let posts = git.requests
                let phases = posts.map { ($0.json?["description"] as? String).flatMap(Phase.init) }
                let expected: [Phase?] = [.queue, .running, .waitingApproval, .completed]
                #expect(phases == expected || phases == [.relayQueued] + expected, "\(phases)")
                for (post, phase) in zip(posts, phases) {
                    guard let phase else { continue }
                    #expect(post.method == "POST")
                    #expect(post.target == scenario.target)
                    for (name, value) in scenario.auth { #expect(post.headers[name] == value, "\(name)") }
                    let link = phase == .relayQueued ? nil : scenario.runURL()
                    #expect(Self.same(post.json, scenario.body(phase, link)), "\(phase): \(post.json ?? [:])")
                }
                if scenario.app {
                    #expect(
                        git.appRequests.map(\.target) == [
                            "/repos/Codertocat/Hello-World/installation", "/app/installations/5/access_tokens",
                        ]
                    )
                }
                #expect(standIn.createdJobs.count == 1)
            }
        }
    }

    /// While the host is down the job runs to its end; when the host is back, only the last state is
    /// sent.
    @Test func whileAHostIsDownOnlyTheLatestStateIsSentWhenItIsBack() async throws {
        let git = GitHostStandIn()
        git.outage(.answer(503, headers: ["Retry-After": "1"], body: #"{"message":"Service Unavailable"}"#))
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "queue", "running", "waitingApproval", "completed")
        try await git.whileRunning { gitURL in
            try await RelayHarness.run(service: Self.service(gitURL), prepare: Self.withUIURL, standIn: standIn) {
                (relay: RelayHarness) async throws in
                // Without notification_secret_env or _file, there is no /hooks/terrakube.
                #expect(try await relay.post("/hooks/terrakube", headers: [], body: Array("{}".utf8)).status == 404)
                let (body, headers, commit) = ProcessLifecycleTests.delivery(3)
                #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
                let followed = try await eventually {
                    let work = try await relay.store.work(provider: .github, deliveryID: headers[1].1)
                    return work.contains { $0.kind == .followTerrakubeJob && $0.state == .done }
                }
                #expect(followed, "Terrakube's job has ended")
                // The post in flight may still carry an older state: the host comes back only once the item
                // holds the last one, so that whatever is sent after the switch is that state.
                let holdsLast = try await eventually {
                    let work = try await relay.store.work(provider: .github, deliveryID: headers[1].1)
                    return work.contains { item in
                        StatusPostWork.isPost(item.kind) && item.state == .pending
                            && (try? WorkType<StatusPostWork>(item.kind).payload(item.payload))?.post.status.description
                                == Phase.completed.description
                    }
                }
                #expect(holdsLast, "the status item holds the job's last state")
                // Every post before the switch met the outage, every one after it a 201.
                let refused = git.outage(nil)
                #expect(refused >= 1, "posts were tried while the host was down")
                let back = await eventually(within: .seconds(30)) {
                    git.requests.dropFirst(refused).contains { $0.json?["state"] as? String == "success" }
                }
                #expect(back)
                let sent = git.requests.dropFirst(refused)
                #expect(sent.count == 1, "\(sent.map { $0.json?["description"] ?? "" })")
                #expect(sent.first?.json?["description"] as? String == Phase.completed.description)
                #expect(sent.first?.target == "/repos/Codertocat/Hello-World/statuses/\(commit)")
                let counted = try await eventually {
                    let metrics = try PrometheusText(try await relay.get("/metrics").text)
                    let posts = { (result: String) in
                        metrics[
                            "pushrelay_status_posts_total",
                            ["host": "github.com", "kind": "github", "result": result]
                        ]
                    }
                    return posts("posted") == 1 && (posts("retry") ?? 0) >= Double(refused)
                        && metrics["pushrelay_followed_jobs", [:]] == 0
                }
                #expect(counted, "one post counted posted, each refused one retried, no job followed any more")
            }
        }
    }

    /// Two commits on one host both show `Queued` (Terrakube holds both creations until then): each is
    /// recorded as its own post, and both go on to their end.
    @Test func twoCommitsShowingTheSameTextAreEachRecorded() async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        let gate = Gate()
        standIn.inject(.createThenHold(gate), .createThenHold(gate))
        standIn.script(job: 1, "completed")
        standIn.script(job: 2, "completed")
        try await git.whileRunning { gitURL in
            // Creations held longer than the wait below: nothing else moves the first post on.
            try await RelayHarness.run(
                service: "  lease_seconds: 130\n" + Self.service(gitURL),  // under `dispatch`
                requestTimeoutSeconds: 60,
                prepare: Self.withUIURL,
                standIn: standIn
            ) {
                (relay: RelayHarness) async throws in
                var deliveries: [String] = []
                for index in [5, 6] {
                    let (body, headers, _) = ProcessLifecycleTests.delivery(index)
                    deliveries.append(headers[1].1)
                    #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
                }
                let queued = await eventually(within: .seconds(30)) {
                    git.requests.filter { $0.json?["description"] as? String == "Queued" }.count == 2
                }
                #expect(queued)
                let ids = deliveries
                let recorded = try await eventually {
                    var done = 0
                    for delivery in ids {
                        let work = try await relay.store.work(provider: .github, deliveryID: delivery)
                        done += work.filter { StatusPostWork.isPost($0.kind) && $0.state == .done }.count
                    }
                    return done == 2
                }
                #expect(recorded, "both posts of Queued are recorded while Terrakube holds the jobs")
                gate.open()
                let ended = await eventually(within: .seconds(30)) {
                    Set(
                        git.requests.filter { $0.json?["state"] as? String == "success" }.map(\.target)
                    ).count == 2
                }
                #expect(ended, "\(git.requests.map { $0.json?["description"] ?? "" })")
            }
        }
    }

    /// Terrakube's job notification, verified, has the job read at once: with reads an hour apart, the end
    /// arrives only through it.
    @Test func aTerrakubeNotificationHasTheJobReadAtOnce() async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "running")
        let service = Self.service("GIT_URL").replacingOccurrences(of: "poll_seconds: 0.1", with: "poll_seconds: 3600")
        try await git.whileRunning { gitURL in
            let prepare: @Sendable (String) throws -> Void = { directory in
                try Self.withUIURL(directory)
                let path = directory + "/pushrelay.yaml"
                let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
                    of: "  ui_url:",
                    with: "  notification_secret_file: notify.secret\n  ui_url:"
                )
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                try "notify-secret\n".write(toFile: directory + "/notify.secret", atomically: true, encoding: .utf8)
            }
            try await RelayHarness.run(
                service: service.replacingOccurrences(of: "GIT_URL", with: gitURL),
                prepare: prepare,
                standIn: standIn
            ) { (relay: RelayHarness) async throws in
                // The posts as they come: the test goes on once the job is shown running.
                let posts = git.posts()
                let (body, headers, _) = ProcessLifecycleTests.delivery(8)
                #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
                let running = await posts.first {
                    $0.json?["description"] as? String == Phase.running.description
                }
                #expect(running != nil)
                standIn.script(job: 1, "completed")

                func notify(_ job: Int, secret: String = "notify-secret") async throws -> RelayHarness.Answer {
                    let body = Array(
                        #"{"organization":"org","workspace":"ws-hello","jobId":\#(job),"status":"completed","runUrl":null}"#
                            .utf8
                    )
                    let signature = ProviderCase.hex(body, secret)
                    return try await relay.post(
                        "/hooks/terrakube",
                        headers: [("X-Terrakube-Signature", signature), ("Content-Type", "application/json")],
                        body: body
                    )
                }
                let forged = try await notify(1, secret: "guess")
                #expect(forged.status == 401)
                let unknown = try await notify(99)
                #expect(unknown.status == 200 && unknown.body["status"] as? String == "ignored", "\(unknown.body)")
                #expect(git.requests.last?.json?["description"] as? String == Phase.running.description)
                let hinted = try await notify(1)
                #expect(hinted.status == 202 && hinted.body["status"] as? String == "hinted", "\(hinted.body)")
                let ended = await eventually(within: .seconds(30)) {
                    git.requests.last?.json?["description"] as? String == Phase.completed.description
                }
                #expect(ended, "the end is read at once, not at the next hourly read")
            }
        }
    }

    /// One host holding every answer delays neither the jobs nor another host's statuses.
    @Test func aHostThatHangsDelaysNeitherJobsNorAnotherHost() async throws {
        let stuck = GitHostStandIn()
        let gate = Gate()
        stuck.outage(.hold(gate))
        let gitlab = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "completed")
        standIn.script(job: 2, "completed")
        try await stuck.whileRunning { stuckURL in
            try await gitlab.whileRunning { gitlabURL in
                let service = Self.service([
                    (host: "github.com", kind: "github", url: stuckURL),
                    (host: "example.com", kind: "gitlab", url: gitlabURL),
                ])
                try await RelayHarness.run(service: service, prepare: Self.withUIURL, standIn: standIn) {
                    (relay: RelayHarness) async throws in
                    let (body, headers, _) = ProcessLifecycleTests.delivery(4)
                    #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
                    #expect(await eventually(within: .seconds(30)) { !stuck.requests.isEmpty }, "GitHub holds a post")
                    let push = Fixture.load("gitlab", "gitlab-docs-push-hook").body
                    let answer = try await relay.post(
                        "/hooks/gitlab",
                        headers: RelayHarness.gitlab(push, uuid: "hang-gl"),
                        body: push
                    )
                    #expect(answer.status == 202)
                    let shown = await eventually(within: .seconds(30)) {
                        gitlab.requests.last?.json?["state"] as? String == "success"
                    }
                    #expect(shown, "GitLab's status reached its end while GitHub held its post")
                    #expect(standIn.createdJobs.count == 2)
                    gate.open()
                    stuck.outage(nil)
                    let released = await eventually(within: .seconds(30)) {
                        stuck.requests.last?.json?["state"] as? String == "success"
                    }
                    #expect(released, "GitHub's status arrives once the host answers")
                }
            }
        }
    }
}
