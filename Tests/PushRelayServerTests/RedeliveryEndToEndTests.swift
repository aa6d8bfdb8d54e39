import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PushRelayCore
import PushRelayFixtures
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import Testing

/// Redelivery end to end (SPEC section 12): the Git-host stand-in keeps GitHub's and GitLab's delivery logs
/// and, asked to resend, delivers the event again to the real listener. A delivery that failed and never
/// succeeded is resent once and becomes its jobs once; one that later succeeded, one the listener refused
/// for good, and one of another hook are left.
struct RedeliveryEndToEndTests {
    static let prefix = "http://relay.test/hooks"

    /// Recovery every 0.2 s with failed deliveries resent, for the hooks whose URL starts with ``prefix``.
    static func service(_ url: String) -> String {
        RecoveryEndToEndTests.service(url) + "\n  redeliver_url: \"\(Self.prefix)\""
    }

    /// The repository's rounds: its (unserved) refs are read each round, which the redelivery pass follows.
    static func aRoundLater(_ git: GitHostStandIn, _ clonePath: String) async -> Bool {
        await RecoveryEndToEndTests.aRoundLater(git, clonePath)
    }

    /// Resends post the event to the relay, as the host would, and log what it answered.
    static func deliver(to relay: RelayHarness) -> @Sendable (HookDeliveries.Event) async -> Int? {
        let (baseURL, client) = (relay.baseURL, relay.client)
        return { event in
            var request = HTTPClientRequest(url: baseURL + event.path)
            request.method = .POST
            for (name, value) in event.headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(event.body)
            return (try? await client.execute(request, timeout: .seconds(10))).map { Int($0.status.code) }
        }
    }

    static func githubEvent(_ key: String, after: String, secret: String = "topsecret") -> HookDeliveries.Event {
        let body = RelayHarness.githubPush(after: after)
        return HookDeliveries.Event(
            key: key,
            path: "/hooks/github",
            headers: RelayHarness.github(body, delivery: key, secret: secret),
            body: body
        )
    }

    @Test func githubRepositoryHookFailedDeliveriesAreResentOnce() async throws {
        let git = GitHostStandIn()
        let missed = String(repeating: "a1", count: 20)
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url)) { relay in
                git.hooks.onResend(Self.deliver(to: relay))
                // Two a page: the failed delivery is on the second.
                git.hooks.pageSize(2)
                let list = "/repos/Codertocat/Hello-World/hooks"
                git.hooks.addHook(1, url: Self.prefix + "/github", kind: .github, list: list)
                git.hooks.addHook(2, url: "https://ci.example.com/hook", kind: .github, list: list)
                git.hooks.attempted(Self.githubEvent("gh-failed", after: missed), hook: 1, status: nil)
                let later = Self.githubEvent("gh-later-ok", after: String(repeating: "b2", count: 20))
                git.hooks.attempted(later, hook: 1, status: 502)
                git.hooks.attempted(later, hook: 1, status: 200)
                let refused = Self.githubEvent("gh-refused", after: String(repeating: "c3", count: 20), secret: "wrong")
                git.hooks.attempted(refused, hook: 1, status: 401)
                git.hooks.attempted(Self.githubEvent("gh-other-hook", after: missed), hook: 2, status: nil)

                #expect(await eventually(within: .seconds(20)) { git.hooks.resends == ["gh-failed"] })
                #expect(
                    await eventually(within: .seconds(20)) {
                        RecoveryEndToEndTests.jobs(relay.standIn, workspace: "ws-hello", commit: missed) == 1
                    }
                )
                let resent = try await relay.store.deliveries(withID: "gh-failed", provider: .github)
                #expect(resent.count == 1)
                // Rounds go on; the resent delivery succeeded, and nothing else is ever resent.
                #expect(await Self.aRoundLater(git, "/Codertocat/Hello-World.git"))
                #expect(await Self.aRoundLater(git, "/Codertocat/Hello-World.git"))
                #expect(git.hooks.resends == ["gh-failed"])
                #expect(relay.standIn.jobs.count == 1)
                let metrics = try PrometheusText(try await relay.get("/metrics").text)
                #expect(metrics["pushrelay_redeliveries_requested_total", ["host": "github.com"]] == 1)
            }
        }
    }

    static func gitlabEvent(_ key: String) -> HookDeliveries.Event {
        let body = Fixture.load("gitlab", "gitlab-docs-push-hook").body
        return HookDeliveries.Event(
            key: key,
            path: "/hooks/gitlab",
            headers: RelayHarness.gitlab(body, uuid: "uuid-" + key) + [("Idempotency-Key", key)],
            body: body
        )
    }

    @Test func gitlabHookEventsThatFailedAreResentOnce() async throws {
        let git = GitHostStandIn()
        let event = Self.gitlabEvent
        try await git.whileRunning { url in
            try await RelayHarness.run(service: Self.service(url)) { relay in
                git.hooks.onResend(Self.deliver(to: relay))
                git.hooks.addHook(
                    7,
                    url: Self.prefix + "/gitlab",
                    kind: .gitlab,
                    list: "/projects/mike%2Fdiaspora/hooks"
                )
                git.hooks.attempted(event("gl-failed"), hook: 7, status: nil)
                git.hooks.attempted(event("gl-later-ok"), hook: 7, status: 500)
                git.hooks.attempted(event("gl-later-ok"), hook: 7, status: 200)

                #expect(await eventually(within: .seconds(20)) { git.hooks.resends == ["gl-failed"] })
                #expect(
                    await eventually(within: .seconds(20)) {
                        relay.standIn.jobs.filter { $0.workspace == "ws-diaspora" }.count == 1
                    }
                )
                let resent = try await relay.store.deliveries(withID: "gl-failed", provider: .gitlab)
                #expect(resent.count == 1)
                #expect(await Self.aRoundLater(git, "/mike/diaspora.git"))
                #expect(await Self.aRoundLater(git, "/mike/diaspora.git"))
                #expect(git.hooks.resends == ["gl-failed"])
                let reads = git.reads.filter { $0.target.hasPrefix("/projects/") }
                #expect(reads.allSatisfy { $0.headers["private-token"] == "status-token" })
            }
        }
    }

    @Test func aGitHubAppHookFailedDeliveryIsResentWithTheAppJWT() async throws {
        let (app, pem) = try GitHostStandIn.App.withNewKey(id: "4711", installations: ["Codertocat/Hello-World": 9])
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString).pem").path
        try pem.write(toFile: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: key) }
        let git = GitHostStandIn(app: app)
        let missed = String(repeating: "d4", count: 20)
        try await git.whileRunning { url in
            let service = """
                hosts:
                  github.com: {kind: github, api_url: "\(url)", git_url: "\(url)", app: {id: "4711", private_key_file: "\(key)"}}
                recovery:
                  poll_seconds: 0.2
                  redeliver_url: "\(Self.prefix)"
                """
            try await RelayHarness.run(service: service) { relay in
                git.hooks.onResend(Self.deliver(to: relay))
                git.hooks.attempted(Self.githubEvent("app-failed", after: missed), hook: 0, status: 503)
                git.hooks.addHook(0, url: Self.prefix + "/github", kind: .github, list: "/app/hook")

                #expect(await eventually(within: .seconds(20)) { git.hooks.resends == ["app-failed"] })
                #expect(
                    await eventually(within: .seconds(20)) {
                        RecoveryEndToEndTests.jobs(relay.standIn, workspace: "ws-hello", commit: missed) == 1
                    }
                )
                // No repository hook is listed with an App: its one hook is.
                #expect(!git.reads.contains { $0.target.contains("/repos/Codertocat/Hello-World/hooks") })
                #expect(await Self.aRoundLater(git, "/Codertocat/Hello-World.git"))
                #expect(git.hooks.resends == ["app-failed"])
            }
        }
    }

    /// `recover` and `check --online` as an operator runs them: a dry run lists and resends nothing; a hook
    /// list the token may not read is named with its file.
    @Test func recoverAsksForResendsAndCheckNamesHooksItCannotList() async throws {
        let git = GitHostStandIn()
        let list = "/repos/Codertocat/Hello-World/hooks"
        git.hooks.addHook(1, url: Self.prefix + "/github", kind: .github, list: list)
        git.hooks.attempted(
            Self.githubEvent("gh-failed", after: String(repeating: "e5", count: 20)),
            hook: 1,
            status: 500
        )
        git.hide("/repos/bradrydzewski/drone-test-go/hooks?per_page=100")
        let directory = NSTemporaryDirectory() + "pushrelay-redeliver-" + UUID().uuidString
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
            #expect(run.stdout.contains("would ask the host to resend 1 failed delivery: gh-failed"), "\(run)")
            #expect(git.hooks.resends.isEmpty)
            run = try await recover([])
            #expect(run.stdout.contains("asked the host to resend 1 failed delivery: gh-failed"), "\(run)")
            #expect(git.hooks.resends == ["gh-failed"])

            let check = try await RelayProcess.run(
                ["check", "--online", "--config", directory],
                environment: RelayHarness.environment
            )
            #expect(check.status == 1)
            let redelivery = check.stdout.split(separator: "\n").filter { $0.contains("redelivery on") }
            #expect(
                redelivery.contains {
                    $0.hasSuffix("drone.yaml: redelivery on github.com: HTTP 404: cannot list the repository's hooks")
                },
                "\(check)"
            )
            #expect(!redelivery.contains { $0.contains("hello.yaml") }, "\(check)")
        }
    }
}
