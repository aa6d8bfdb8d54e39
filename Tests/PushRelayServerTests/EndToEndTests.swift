import Foundation
import NIOHTTP1
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// The real server, the real SQLite file and the real HTTP client against the Terrakube stand-in.
@Suite(.timeLimit(.minutes(2)))
struct EndToEndTests {
    @Test func signedGitHubPushCreatesExactlyTheSpecJob() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("github", "go-scm-push").body
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "gh-1"),
                body: body
            )
            #expect(answer.status == 202)
            #expect(answer.body["status"] as? String == "queued")
            #expect(answer.body["delivery"] as? String == "gh-1")
            #expect(answer.body["jobs"] as? Int == 1)

            #expect(try await relay.job("gh-1", reaching: .done) != nil)
            let requests = relay.standIn.requests
            #expect(requests.count == 1)
            let request = try #require(requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/api/v1/organization/org-1/job")
            #expect(request.headers["authorization"] == "Bearer tk-token")
            #expect(request.headers["content-type"] == "application/vnd.api+json")
            #expect(request.headers["accept"] == "application/vnd.api+json")
            let expected =
                #"{"data":{"type":"job","attributes":{"templateReference":"tpl-apply","overrideBranch":"master","commitId":"199eddf46df50de8d02e99bf1c5fdb4101338224","via":"Github"},"relationships":{"workspace":{"data":{"type":"workspace","id":"ws-hello"}}}}}"#
            #expect(String(decoding: request.body, as: UTF8.self) == expected)

            let job = try #require(try await relay.store.jobs(provider: .github, deliveryID: "gh-1").first)
            #expect(job.terrakubeJobID == "1")
            #expect(job.attempts == 1)
        }
    }

    @Test func gitLabPushCreatesExactlyTheSpecJob() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("gitlab", "gitlab-docs-push-hook").body
            let answer = try await relay.post(
                "/hooks/gitlab",
                headers: RelayHarness.gitlab(body, uuid: "gl-1"),
                body: body
            )
            #expect(answer.status == 202)
            #expect(answer.body["delivery"] as? String == "gl-1")
            #expect(try await relay.eventually { relay.standIn.createdJobs.count == 1 })
            let request = try #require(relay.standIn.requests.first)
            let expected =
                #"{"data":{"type":"job","attributes":{"templateReference":"tpl-apply","overrideBranch":"master","commitId":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","via":"Gitlab"},"relationships":{"workspace":{"data":{"type":"workspace","id":"ws-diaspora"}}}}}"#
            #expect(String(decoding: request.body, as: UTF8.self) == expected)
            #expect(try await relay.job("gl-1", provider: .gitlab, reaching: .done) != nil)
            #expect(relay.standIn.requests.count == 1)
        }
    }

    @Test func tagPushSendsRefsTagsAsTheBranch() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("github", "go-scm-push-tag-create").body
            let answer = try await relay.post(
                "/hooks",
                headers: RelayHarness.github(body, delivery: "tag-1"),
                body: body
            )
            #expect(answer.status == 202)
            #expect(try await relay.eventually { relay.standIn.createdJobs.count == 1 })
            let attributes =
                (relay.standIn.requests.first?.json?["data"] as? [String: Any])?["attributes"] as? [String: Any]
            #expect(attributes?["overrideBranch"] as? String == "refs/tags/v0.0.1")
        }
    }

    @Test func wrongSignatureIs401AndCreatesNothing() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("github", "go-scm-push").body
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "bad-1", secret: "guess"),
                body: body
            )
            #expect(answer.status == 401)
            #expect(answer.body["status"] as? String == "error")
            #expect(answer.body["reason"] as? String == "X-Hub-Signature-256 does not verify")
            let gitlab = Fixture.load("gitlab", "gitlab-docs-push-hook").body
            let tokenAnswer = try await relay.post(
                "/hooks/gitlab",
                headers: RelayHarness.gitlab(gitlab, uuid: "bad-2", token: "guess"),
                body: gitlab
            )
            #expect(tokenAnswer.status == 401)
            // Nothing stored (checked below), so nothing can ever be sent: no need to wait and see.
            #expect(relay.standIn.requests.isEmpty)
            #expect(try await relay.store.jobCounts().isEmpty)
            #expect(try await relay.store.jobs(provider: .github, deliveryID: "bad-1").isEmpty)
        }
    }

    @Test func pingAndBranchDeletionAreIgnored() async throws {
        try await RelayHarness.run { relay in
            let ping = Fixture.load("github", "octokit-ping").body  // Octocoders/Hello-World: not configured
            let pingAnswer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(ping, event: "ping", delivery: "ping-1", secret: "default-secret"),
                body: ping
            )
            #expect(pingAnswer.status == 200)
            #expect(pingAnswer.body["status"] as? String == "ignored")
            #expect(pingAnswer.body["reason"] as? String == "ping")

            let deletion = Fixture.load("github", "go-scm-push-branch-delete").body
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(deletion, delivery: "del-1"),
                body: deletion
            )
            #expect(answer.status == 200)
            #expect(answer.body["status"] as? String == "ignored")
            #expect(answer.body["reason"] as? String == "branch deleted")

            // gitlab-org/hello-world is not configured: the default secret vouches for it.
            let gitlabDeletion = Fixture.load("gitlab", "go-scm-branch-delete").body
            let gitlabAnswer = try await relay.post(
                "/hooks/gitlab",
                headers: RelayHarness.gitlab(gitlabDeletion, uuid: "del-2", token: "default-secret"),
                body: gitlabDeletion
            )
            #expect(gitlabAnswer.status == 200)
            #expect(gitlabAnswer.body["status"] as? String == "ignored")
            #expect(try await relay.store.jobCounts().isEmpty)
            #expect(relay.standIn.requests.isEmpty)
        }
    }

    @Test func anUnconfiguredRepositoryIsIgnoredOrRefusedAsAConfiguredOneWouldBe() async throws {
        try await RelayHarness.run { relay in
            // A configured repository's pull request, which no route plans.
            let body = Fixture.load("github", "octokit-pull_request-opened").body
            let other = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(body, event: "pull_request", delivery: "pr-1"),
                body: body
            )
            #expect(other.status == 200)
            #expect(other.body["reason"] as? String == "no route plans pull requests into master")

            let unknown = Array(
                String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
                    .replacingOccurrences(of: "Codertocat/Hello-World", with: "someone/else").utf8
            )
            let verified = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(unknown, delivery: "u-1", secret: "default-secret"),
                body: unknown
            )
            #expect(verified.status == 200)
            #expect(verified.body["status"] as? String == "ignored")
            #expect(verified.body["reason"] as? String == "repository not configured")
            let unverified = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(unknown, delivery: "u-2", secret: "topsecret"),
                body: unknown
            )
            // Answered as a configured repository's wrong signature is.
            let configured = Fixture.load("github", "go-scm-push").body
            let wrong = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(configured, delivery: "u-3", secret: "wrong-secret"),
                body: configured
            )
            #expect(unverified.status == 401)
            #expect(unverified.status == wrong.status)
            #expect(unverified.body.keys.sorted() == wrong.body.keys.sorted())
            #expect(unverified.body["reason"] as? String == wrong.body["reason"] as? String)
            #expect(unverified.body["reason"] as? String == "X-Hub-Signature-256 does not verify")
        }
    }

    @Test func duplicateDeliveryIsAnsweredAndCreatesOneJob() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("github", "go-scm-push").body
            let headers = RelayHarness.github(body, delivery: "dup-1")
            #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
            let again = try await relay.post("/hooks/github", headers: headers, body: body)
            #expect(again.status == 200)
            #expect(again.body["status"] as? String == "duplicate")
            #expect(again.body["delivery"] as? String == "dup-1")
            #expect(try await relay.eventually { relay.standIn.createdJobs.count == 1 })
            // Recorded, and nothing else queued: no second request can come.
            #expect(try await relay.eventually { try await relay.store.jobCounts() == [.done: 1] })
            #expect(relay.standIn.requests.count == 1)
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        try await RelayHarness.run(service: "limits:\n  max_body_bytes: 4096") { relay in
            let body = Fixture.load("github", "go-scm-push").body  // 8556 bytes
            let answer = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(body, delivery: "big-1"),
                body: body
            )
            #expect(answer.status == 413)
            #expect(answer.body["reason"] as? String == "body over the 4096-byte limit")
            #expect(try await relay.store.jobCounts().isEmpty)
        }
    }

    @Test func everyMethodButPostOnAWebhookPathIs405() async throws {
        try await RelayHarness.run { relay in
            let port = Int(relay.baseURL.split(separator: ":").last!)!
            let methods = [
                "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "MKCOL", "PURGE",
            ]
            for method in methods {
                for path in ["/hooks", "/hooks/github", "/hooks/nonesuch/"] {
                    let connection = try RawConnection(port: port)
                    defer { connection.disconnect() }
                    connection.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    let (bytes, _) = await connection.receive(timeout: .seconds(5))
                    let text = String(decoding: bytes, as: UTF8.self).lowercased()
                    #expect(RawConnection.status(of: bytes) == 405, "\(method) \(path)")
                    #expect(text.contains("\r\nallow: post\r\n"), "\(method) \(path)")
                }
            }
            // A method the HTTP parser does not know never reaches the router: the parser's 400.
            let madeUp = try RawConnection(port: port)
            defer { madeUp.disconnect() }
            madeUp.send("BREW /hooks/github HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(RawConnection.status(of: await madeUp.receive(timeout: .seconds(5)).bytes) == 400)
            // Not a webhook path: the router's own 404, and POST still reaches the handler.
            #expect(try await relay.send("/hooks/github/more", method: .RAW(value: "OPTIONS")).status == 404)
            #expect(try await relay.post("/hooks/github", headers: [], body: []).status == 400)
        }
    }

    @Test func unsignedAnswersEchoNothingTheSenderWrote() async throws {
        try await RelayHarness.run { relay in
            let marker = "ZZmarkerZZ"
            let unknown = try await relay.post("/hooks/\(marker)", headers: [], body: [])
            #expect(unknown.status == 404)
            #expect(
                unknown.body["reason"] as? String
                    == "unknown provider; use one of github, gitlab, gitea, bitbucket, azure-devops"
            )
            let deletion = Array(
                #"{"ref":"x","ref_type":"ZZmarkerZZ","repository":{"full_name":"a/b","clone_url":"https://github.com/a/b.git"}}"#
                    .utf8
            )
            let refused = try await relay.post(
                "/hooks/github",
                headers: [("X-GitHub-Event", "delete"), ("X-GitHub-Delivery", "del-1")],
                body: deletion
            )
            #expect(refused.status == 400)
            for answer in [unknown, refused] { #expect(!answer.text.contains(marker), "\(answer.text)") }
        }
    }

    @Test func badRequestsGetTheirStatusAndAReason() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("github", "go-scm-push").body
            let wrongMethod = try await relay.get("/hooks/github")
            #expect(wrongMethod.status == 405)
            #expect(try await relay.post("/hooks/bitbucketz", headers: [], body: body).status == 404)
            let noDelivery = try await relay.post("/hooks/github", headers: [("X-GitHub-Event", "push")], body: body)
            #expect(noDelivery.status == 400)
            #expect(noDelivery.body["reason"] as? String == "missing X-GitHub-Delivery header")
            let garbage = Array("{\"ref\":".utf8)
            #expect(
                try await relay.post(
                    "/hooks/github",
                    headers: RelayHarness.github(garbage, delivery: "g-1"),
                    body: garbage
                ).status == 400
            )
            #expect(try await relay.post("/hooks", headers: [], body: body).status == 400)
            #expect(try await relay.get("/healthz").status == 200)
            #expect(try await relay.get("/readyz").status == 200)
        }
    }
}
