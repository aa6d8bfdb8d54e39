import Foundation
import HTTPTypes
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// The HTTP surface of SPEC section 3, status by status, and each provider's path and headers, through
/// `serve`'s own routes over the store in memory (``Routes``). What only a socket or a process shows (the
/// HTTP parser, limits on connections, signals) is tested with them, elsewhere.
struct RouterTests {
    // MARK: 202 and 200

    @Test(arguments: ProviderCase.all)
    func eachProvidersSignedPushIsQueuedAsItsJob(_ provider: ProviderCase) async throws {
        try await Routes.test { routes in
            let body = Fixture.load(provider.folder, provider.name).body
            let id = "p-\(provider.folder)"
            let answer = try await routes.post(provider.path, headers: provider.headers(body, id), body: body)
            #expect(answer.status == 202, "\(answer.body)")
            #expect(answer.body["status"] as? String == "queued")
            #expect(answer.body["delivery"] as? String == provider.deliveryID(id))
            #expect(answer.body["jobs"] as? Int == 1)
            let kind = try #require(ProviderKind(rawValue: provider.kind))
            let jobs = try await routes.store.jobs(provider: kind, deliveryID: provider.deliveryID(id))
            #expect(
                jobs.map(\.spec) == [
                    JobSpec(
                        organization: RelayHarness.organization,
                        workspace: provider.workspace,
                        template: provider.template,
                        overrideBranch: provider.branch,
                        commitID: provider.commit,
                        via: provider.via
                    )
                ]
            )
        }
    }

    @Test func aDeliveryIDSeenBeforeIsADuplicateAndQueuesNothingMore() async throws {
        try await Routes.test { routes in
            let body = Fixture.load("github", "go-scm-push").body
            let headers = RelayHarness.github(body, delivery: "dup-1")
            #expect(try await routes.post("/hooks/github", headers: headers, body: body).status == 202)
            let again = try await routes.post("/hooks/github", headers: headers, body: body)
            #expect(again.status == 200)
            #expect(again.body["status"] as? String == "duplicate")
            #expect(again.body["delivery"] as? String == "dup-1")
            #expect(try await routes.store.jobCounts() == [.pending: 1])
        }
    }

    /// SPEC section 12: a commit is queued once, whichever delivery brings it; an older commit after a newer
    /// one is queued and says it came out of order.
    @Test func theSameCommitUnderAnotherIDIsQueuedOnceAndAnsweredWithWhy() async throws {
        try await Routes.test { routes in
            let body = Fixture.load("github", "go-scm-push").body
            let first = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "c-1"),
                body: body
            )
            #expect(first.status == 202)
            #expect(first.body["jobs"] as? Int == 1)
            let again = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "c-2"),
                body: body
            )
            #expect(again.status == 202)
            #expect(again.body["jobs"] as? Int == 0)
            #expect(again.body["reason"] as? String == "already queued for 199eddf46df50de8d02e99bf1c5fdb4101338224")
            #expect(try await routes.store.jobCounts() == [.pending: 1])
            #expect(
                try await routes.store.heads(of: "github.com/codertocat/hello-world").heads["refs/heads/master"]
                    == "199eddf46df50de8d02e99bf1c5fdb4101338224"
            )

            // The next push of the branch is queued; the first one sent again is out of order, and with no
            // `hosts` entry to ask which commit is newer, queued with the reason.
            let next = RelayHarness.githubPush(after: String(repeating: "c", count: 40))
            let moved = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(next, delivery: "c-3"),
                body: next
            )
            #expect(moved.body["jobs"] as? Int == 1)
            _ = try await routes.post("/hooks/github", headers: RelayHarness.github(body, delivery: "c-4"), body: body)
            let late = try await routes.store.deliveries(withID: "c-4", provider: .github)
            #expect(late.first?.summary.reason.contains("out of order") == true)
            #expect(late.first?.summary.reason.contains("no 'hosts' entry with a compare API") == true)
            #expect(try await routes.store.jobCounts() == [.pending: 3])
        }
    }

    /// GitLab's system hooks and older GitLabs send merge request events without an action: `200 ignored`,
    /// never a `400` that would count as a failed delivery.
    @Test func aMergeRequestEventWithoutAnActionIsIgnoredWithTheReason() async throws {
        try await Routes.test { routes in
            let fixture = String(decoding: Fixture.load("gitlab", "gitlab-docs-merge-request-hook").body, as: UTF8.self)
            let body = Array(fixture.replacingOccurrences(of: "\"action\": \"open\",", with: "").utf8)
            #expect(body.count < fixture.utf8.count)
            let answer = try await routes.post(
                "/hooks/gitlab",
                headers: RelayHarness.gitlab(body, event: "Merge Request Hook", uuid: "mr-1", token: "default-secret"),
                body: body
            )
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.body["status"] as? String == "ignored")
            #expect(
                answer.body["reason"] as? String
                    == "merge request event without an action (a system hook or an older GitLab): nothing to plan"
            )
        }
    }

    @Test func pingDeletionAndUnroutedEventsAreIgnoredWithTheirReason() async throws {
        try await Routes.test { routes in
            let ping = Fixture.load("github", "octokit-ping").body  // Octocoders/Hello-World: not configured
            let pinged = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(ping, event: "ping", delivery: "ping-1", secret: "default-secret"),
                body: ping
            )
            #expect(pinged.status == 200)
            #expect(pinged.body["status"] as? String == "ignored")
            #expect(pinged.body["reason"] as? String == "ping")

            let deletion = Fixture.load("github", "go-scm-push-branch-delete").body
            let deleted = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(deletion, delivery: "del-1"),
                body: deletion
            )
            #expect(deleted.status == 200)
            #expect(deleted.body["reason"] as? String == "branch deleted")

            // gitlab-org/hello-world is not configured: the default secret vouches for it.
            let gitlab = Fixture.load("gitlab", "go-scm-branch-delete").body
            let gitlabDeleted = try await routes.post(
                "/hooks/gitlab",
                headers: RelayHarness.gitlab(gitlab, uuid: "del-2", token: "default-secret"),
                body: gitlab
            )
            #expect(gitlabDeleted.status == 200)
            #expect(gitlabDeleted.body["status"] as? String == "ignored")

            // A configured repository's pull request, which no route plans.
            let pull = Fixture.load("github", "octokit-pull_request-opened").body
            let unplanned = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(pull, event: "pull_request", delivery: "pr-1"),
                body: pull
            )
            #expect(unplanned.status == 200)
            #expect(unplanned.body["reason"] as? String == "no route plans pull requests into master")

            // Gitea's delete event, for an unconfigured repository without on_delete.
            let giteaDeletion = Fixture.load("gitea", "go-scm-delete-branch").body
            let giteaDeleted = try await routes.post(
                "/hooks/gitea",
                headers: [
                    ("X-Gitea-Event", "delete"), ("X-Gitea-Delivery", "del-g"),
                    ("X-Gitea-Signature", ProviderCase.hex(giteaDeletion, "default-secret")),
                ],
                body: giteaDeletion
            )
            #expect(giteaDeleted.status == 200)
            #expect(giteaDeleted.body["status"] as? String == "ignored")
            // Every one stored for `deliveries show`, none with work.
            #expect(try await routes.store.recentDeliveries(limit: 10).count == 5)
            #expect(try await routes.store.workCounts().isEmpty)
        }
    }

    @Test func aBitbucketBranchDeletionRunsTheRoutesOnDeleteTemplate() async throws {
        try await Routes.test { routes in
            let body = Fixture.load("bitbucket-cloud", "go-scm-push-branch-delete").body
            let headers = [
                ("X-Event-Key", "repo:push"), ("X-Request-UUID", "del-bb"),
                ("X-Hub-Signature", "sha256=" + ProviderCase.hex(body, "bb-secret")),
            ]
            #expect(try await routes.post("/hooks/bitbucket", headers: headers, body: body).status == 202)
            let jobs = try await routes.store.jobs(provider: .bitbucket, deliveryID: "del-bb")
            #expect(jobs.map(\.spec.template) == ["tpl-destroy"])
            #expect(jobs.map(\.spec.overrideBranch) == ["develop"])
        }
    }

    // MARK: 400, 401, 404

    @Test func malformedBodiesAndMissingHeadersAre400WithAReason() async throws {
        try await Routes.test { routes in
            let body = Fixture.load("github", "go-scm-push").body
            let noDelivery = try await routes.post("/hooks/github", headers: [("X-GitHub-Event", "push")], body: body)
            #expect(noDelivery.status == 400)
            #expect(noDelivery.body["reason"] as? String == "missing X-GitHub-Delivery header")
            let garbage = Array("{\"ref\":".utf8)
            let truncated = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(garbage, delivery: "g-1"),
                body: garbage
            )
            #expect(truncated.status == 400)
            #expect(truncated.body["status"] as? String == "error")
            let undetected = try await routes.post("/hooks", headers: [], body: body)
            #expect(undetected.status == 400)
            #expect(
                undetected.body["reason"] as? String
                    == "cannot tell the provider from the headers; use /hooks/{provider}"
            )
            // A ref Git would refuse is refused before anything is stored.
            let badRef = Array(
                String(decoding: body, as: UTF8.self).replacingOccurrences(
                    of: "\"refs/heads/master\"",
                    with: "\"refs/heads/a..b\""
                ).utf8
            )
            let refused = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(badRef, delivery: "bad-ref"),
                body: badRef
            )
            #expect(refused.status == 400)
            #expect((refused.body["reason"] as? String)?.hasPrefix("pushed ref is not a valid Git ref name") == true)
            #expect(try await routes.store.recentDeliveries(limit: 10).isEmpty)
        }
    }

    @Test(arguments: ProviderCase.all)
    func aWrongSignatureOrTokenIs401AndStoresNothing(_ provider: ProviderCase) async throws {
        try await Routes.test { routes in
            let body = Fixture.load(provider.folder, provider.name).body
            // Signed over other bytes: the signature (or password) no longer matches.
            var headers = provider.headers(body + [32], "w-\(provider.folder)")
            if provider.folder == "azure-devops" {
                headers = [("Authorization", "Basic " + Data("pushrelay:guess".utf8).base64EncodedString())]
            }
            if provider.folder == "gitlab" { headers = RelayHarness.gitlab(body, uuid: "w-gitlab", token: "guess") }
            let answer = try await routes.post(provider.path, headers: headers, body: body)
            #expect(answer.status == 401)
            #expect(answer.body["status"] as? String == "error")
            #expect(try await routes.store.recentDeliveries(limit: 10).isEmpty)
        }
    }

    @Test func anUnconfiguredRepositoryIsAnsweredAsAConfiguredOneWouldBe() async throws {
        try await Routes.test { routes in
            let unknown = Array(
                String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
                    .replacingOccurrences(of: "Codertocat/Hello-World", with: "someone/else").utf8
            )
            let verified = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(unknown, delivery: "u-1", secret: "default-secret"),
                body: unknown
            )
            #expect(verified.status == 200)
            #expect(verified.body["reason"] as? String == "repository not configured")
            let unverified = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(unknown, delivery: "u-2", secret: "topsecret"),
                body: unknown
            )
            let configured = Fixture.load("github", "go-scm-push").body
            let wrong = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(configured, delivery: "u-3", secret: "wrong-secret"),
                body: configured
            )
            #expect(unverified.status == 401)
            #expect(unverified.text == wrong.text)
            #expect(unverified.body["reason"] as? String == "X-Hub-Signature-256 does not verify")
            // Its body is not kept: what a holder of the default secret sends must not fill the store.
            #expect(try await routes.store.deliveries(withID: "u-1", provider: .github).first?.body == [])
        }
    }

    /// An unknown provider is `404`, and its answer does not repeat the path. Without a default secret,
    /// nothing can verify a repository no config names: it is answered `401` as a configured repository
    /// with a wrong signature is (README, "Choices where the contract is silent"), so that a guess cannot
    /// tell which repositories drive Terrakube.
    @Test func anUnknownProviderIs404AndAnUnverifiableRepository401() async throws {
        let withoutDefault: @Sendable (String) throws -> Void = { directory in
            let path = directory + "/pushrelay.yaml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: "secret_env: DEFAULT_SECRET\n", with: "")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try await Routes.test(prepare: withoutDefault) { routes in
            let marker = "ZZmarkerZZ"
            let provider = try await routes.post("/hooks/\(marker)", headers: [], body: [])
            #expect(provider.status == 404)
            #expect(
                provider.body["reason"] as? String
                    == "unknown provider; use one of github, gitlab, gitea, bitbucket, azure-devops"
            )
            #expect(!provider.text.contains(marker))
            let unknown = Array(
                String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
                    .replacingOccurrences(of: "Codertocat/Hello-World", with: "someone/else\(marker)").utf8
            )
            let repository = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(unknown, delivery: "u-1", secret: "default-secret"),
                body: unknown
            )
            let configured = Fixture.load("github", "go-scm-push").body
            let wrong = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(configured, delivery: "u-2", secret: "default-secret"),
                body: configured
            )
            #expect(repository.status == 401, "\(repository.body)")
            #expect(repository.text == wrong.text)
            #expect(!repository.text.contains(marker))
            #expect(try await routes.store.recentDeliveries(limit: 10).isEmpty)
        }
    }

    // MARK: 405, 413, 503

    @Test func everyMethodButPostOnAWebhookPathIs405WithAllow() async throws {
        try await Routes.test { routes in
            for method: HTTPRequest.Method in [.get, .head, .put, .patch, .delete, .options] {
                for path in ["/hooks", "/hooks/github", "/hooks/nonesuch/"] {
                    let answer = try await routes.send(path, method: method)
                    #expect(answer.status == 405, "\(method) \(path)")
                    #expect(answer.headers[.allow] == "POST", "\(method) \(path)")
                }
            }
            // Not a webhook path: the router's own 404.
            #expect(try await routes.send("/hooks/github/more", method: .options).status == 404)
        }
    }

    @Test func aBodyOverTheLimitIs413AndStoresNothing() async throws {
        try await Routes.test(service: "limits:\n  max_body_bytes: 4096") { routes in
            let body = Fixture.load("github", "go-scm-push").body  // 8556 bytes
            let answer = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "big-1"),
                body: body
            )
            #expect(answer.status == 413)
            #expect(answer.body["reason"] as? String == "body over the 4096-byte limit")
            #expect(answer.headers[.connection] == "close")
            #expect(try await routes.store.recentDeliveries(limit: 10).isEmpty)
        }
    }

    @Test func aStoreThatCannotWriteIs503AndNotReady() async throws {
        try await Routes.test { routes in
            #expect(try await routes.get("/healthz").status == 200)
            #expect(try await routes.get("/readyz").status == 200)
            await routes.store.refuseWrites(with: StoreDown())
            let body = Fixture.load("github", "go-scm-push").body
            let answer = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "s-1"),
                body: body
            )
            #expect(answer.status == 503)
            #expect(answer.body["reason"] as? String == "store unavailable; retry later")
            let ready = try await routes.get("/readyz")
            #expect(ready.status == 503)
            #expect(ready.body["status"] as? String == "unavailable")
            // Alive all the same: a restart would not help.
            #expect(try await routes.get("/healthz").status == 200)

            // Back: the host's retry of the same delivery is taken.
            await routes.store.refuseWrites(with: nil)
            #expect(
                try await routes.post("/hooks/github", headers: RelayHarness.github(body, delivery: "s-1"), body: body)
                    .status == 202
            )
            #expect(try await routes.get("/readyz").status == 200)
        }
    }

    // MARK: /hooks/terrakube and /metrics

    @Test func terrakubeNotificationsAreVerifiedAndHastenTheFollowedJob() async throws {
        let withSecret: @Sendable (String) throws -> Void = { directory in
            let path = directory + "/pushrelay.yaml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(
                    of: "  token_env: TK_TOKEN\n",
                    with: "  token_env: TK_TOKEN\n  notification_secret_file: notify.secret\n"
                )
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try "notify-secret\n".write(toFile: directory + "/notify.secret", atomically: true, encoding: .utf8)
        }
        try await Routes.test { routes in
            // Without a notification secret there is no such endpoint.
            let answer = try await routes.post("/hooks/terrakube", headers: [], body: Array("{}".utf8))
            #expect(answer.status == 404)
        }
        try await Routes.test(prepare: withSecret) { routes in
            func notify(_ job: Int, secret: String = "notify-secret") async throws -> RelayHarness.Answer {
                let body = Array(#"{"organization":"org-1","jobId":\#(job),"status":"completed"}"#.utf8)
                return try await routes.post(
                    "/hooks/terrakube",
                    headers: [("X-Terrakube-Signature", ProviderCase.hex(body, secret))],
                    body: body
                )
            }
            // Job 7 followed, not due for an hour.
            let record = DeliveryRecord(
                provider: .github,
                deliveryID: "d-1",
                event: "push",
                receivedAt: Date(),
                repository: nil,
                ref: nil,
                decision: .queue,
                reason: "",
                signature: .valid,
                headers: [:],
                body: []
            )
            var followed = FollowedJob(organization: "org-1", jobID: "7", since: Date()).work
            followed.after = .seconds(3600)
            _ = try await routes.store.record(record, work: [followed])
            func claim() async throws -> [ClaimedWork] {
                try await routes.store.claim(owner: "o", kinds: [.followTerrakubeJob], limit: 1, lease: .seconds(60))
            }
            #expect(try await claim().isEmpty)

            #expect(try await notify(7, secret: "guess").status == 401)
            #expect(try await routes.post("/hooks/terrakube", headers: [], body: Array("{}".utf8)).status == 401)
            let unknown = try await notify(99)
            #expect(unknown.status == 200 && unknown.body["status"] as? String == "ignored")
            #expect(try await claim().isEmpty)
            let hinted = try await notify(7)
            #expect(hinted.status == 202 && hinted.body["status"] as? String == "hinted")
            #expect(try await claim().count == 1)

            // Refused as webhooks are: a body over the notification's limit ends the connection, and a store
            // that is down asks Terrakube to try again.
            let large = try await routes.post(
                "/hooks/terrakube",
                headers: [],
                body: Array(repeating: 32, count: 65_537)
            )
            #expect(large.status == 413 && large.headers[.connection] == "close")
            await routes.store.refuseWrites(with: StoreDown())
            let down = try await notify(7)
            #expect(down.status == 503 && down.headers[.retryAfter] == "5")
            await routes.store.refuseWrites(with: nil)
        }
    }

    /// With `metrics.repository_label`, a configured repository names its series; one no config names
    /// (verified by the default secret) never does, whatever it calls itself.
    @Test func metricsCountEachAnswerAndLabelOnlyConfiguredRepositories() async throws {
        try await Routes.test(service: "metrics:\n  repository_label: true") { routes in
            let push = Fixture.load("github", "go-scm-push").body
            _ = try await routes.post("/hooks/github", headers: RelayHarness.github(push, delivery: "r-1"), body: push)
            let unknown = Array(
                String(decoding: push, as: UTF8.self)
                    .replacingOccurrences(of: "Codertocat/Hello-World", with: "someone/else").utf8
            )
            let ignored = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(unknown, delivery: "r-2", secret: "default-secret"),
                body: unknown
            )
            #expect(ignored.status == 200)
            _ = try await routes.post(
                "/hooks/github",
                headers: RelayHarness.github(push, delivery: "r-3", secret: "x"),
                body: push
            )

            let scrape = try await routes.get("/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.headers[.contentType]?.hasPrefix("text/plain") == true)
            let metrics = try PrometheusText(scrape.text)
            let configured = [
                "provider": "github", "outcome": "queued", "status": "202",
                "repository": "github.com/codertocat/hello-world",
            ]
            #expect(metrics["pushrelay_deliveries_total", configured] == 1)
            // The unconfigured repository's series has an empty label, whatever the payload called it.
            let unlabelled = ["provider": "github", "status": "200", "outcome": "ignored", "repository": ""]
            #expect(metrics["pushrelay_deliveries_total", unlabelled] == 1)
            let rejected = ["provider": "github", "status": "401", "outcome": "rejected", "repository": ""]
            #expect(metrics["pushrelay_deliveries_total", rejected] == 1)
            #expect(!scrape.text.contains("someone/else"))
            #expect(metrics["pushrelay_work", ["kind": "terrakube.create-job", "state": "pending"]] == 1)
        }
    }
}

/// A provider's signed push, the path it is sent to and the job it must queue.
struct ProviderCase: Sendable, CustomTestStringConvertible {
    var folder: String
    var name: String
    var kind: String
    var path: String
    var headers: @Sendable ([UInt8], String) -> [(String, String)]
    var workspace: String
    var template = "tpl-apply"
    var branch: String
    var commit: String
    var via: String
    /// The delivery id the provider's headers or body give, for the id the test chose.
    var deliveryID: @Sendable (String) -> String = { $0 }

    var testDescription: String { "\(self.folder)/\(self.name)" }

    static func hex(_ body: [UInt8], _ secret: String) -> String {
        String(HMACSignature.sign(body: body, secret: WebhookSecret(secret)).dropFirst("sha256=".count))
    }

    static let all: [ProviderCase] = [
        ProviderCase(
            folder: "github",
            name: "go-scm-push",
            kind: "github",
            path: "/hooks/github",
            headers: { body, id in RelayHarness.github(body, delivery: id) },
            workspace: "ws-hello",
            branch: "master",
            commit: "199eddf46df50de8d02e99bf1c5fdb4101338224",
            via: "Github"
        ),
        ProviderCase(
            folder: "gitlab",
            name: "gitlab-docs-push-hook",
            kind: "gitlab",
            path: "/hooks",
            headers: { body, id in RelayHarness.gitlab(body, uuid: id) },
            workspace: "ws-diaspora",
            branch: "master",
            commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            via: "Gitlab"
        ),
        ProviderCase(
            folder: "gitea",
            name: "gitea-docs-push",
            kind: "gitea",
            path: "/hooks/gitea",
            headers: { body, id in
                [
                    ("X-Gitea-Event", "push"), ("X-GitHub-Event", "push"), ("X-Gitea-Delivery", id),
                    ("X-Gitea-Signature", hex(body, "gitea-secret")),
                ]
            },
            workspace: "ws-gitea",
            branch: "develop",
            commit: "bffeb74224043ba2feb48d137756c8a9331c449a",
            via: "Gitea"
        ),
        ProviderCase(
            folder: "bitbucket-cloud",
            name: "go-scm-push",
            kind: "bitbucket",
            path: "/hooks/bitbucket",
            headers: { body, id in
                [
                    ("X-Event-Key", "repo:push"), ("X-Request-UUID", id),
                    ("X-Hub-Signature", "sha256=" + hex(body, "bb-secret")),
                ]
            },
            workspace: "ws-bb",
            branch: "master",
            commit: "141977fedf5cf35aa290ac87d4b5177ac4cd9de1",
            via: "Bitbucket"
        ),
        ProviderCase(
            folder: "bitbucket-server",
            name: "go-scm-push-tag-create",
            kind: "bitbucket",
            path: "/hooks",
            headers: { body, id in
                [
                    ("X-Event-Key", "repo:refs_changed"), ("X-Request-Id", id),
                    ("X-Hub-Signature", "sha256=" + hex(body, "bb-secret")),
                ]
            },
            workspace: "ws-bbs",
            branch: "refs/tags/v1.1.0",
            commit: "823b2230a56056231c9425d63758fa87078a66b4",
            via: "Bitbucket"
        ),
        ProviderCase(
            folder: "azure-devops",
            name: "msdocs-git-push",
            kind: "azure-devops",
            path: "/hooks/azure-devops",
            headers: { _, _ in
                [
                    ("Authorization", "Basic " + Data("pushrelay:az-secret".utf8).base64EncodedString()),
                    ("X-Vss-ActivityId", "a"),
                ]
            },
            workspace: "ws-azure",
            branch: "master",
            commit: "33b55f7cb7e7e245323987634f960cf4a6e6bc74",
            via: "AzureDevops",
            // Azure DevOps names the delivery in its body.
            deliveryID: { _ in "03c164c2-8912-4d5e-8009-3707d5f83734" }
        ),
    ]
}

/// What the store in memory answers while it is made to refuse writes.
private struct StoreDown: Error {}
