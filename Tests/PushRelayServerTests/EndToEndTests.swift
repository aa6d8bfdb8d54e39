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
            // What the stand-in answers, as it answers it: awaited, not polled.
            var creations = relay.standIn.creations().makeAsyncIterator()
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

            let request = try #require(await creations.next())
            #expect(request.status == 201)
            #expect(request.method == "POST")
            #expect(request.path == "/api/v1/organization/org-1/job")
            #expect(request.headers["authorization"] == "Bearer tk-token")
            #expect(request.headers["content-type"] == "application/vnd.api+json")
            #expect(request.headers["accept"] == "application/vnd.api+json")
            let expected =
                #"{"data":{"type":"job","attributes":{"templateReference":"tpl-apply","overrideBranch":"master","commitId":"199eddf46df50de8d02e99bf1c5fdb4101338224","via":"Github"},"relationships":{"workspace":{"data":{"type":"workspace","id":"ws-hello"}}}}}"#
            #expect(String(decoding: request.body, as: UTF8.self) == expected)

            let job = try #require(try await relay.job("gh-1", reaching: .done))
            #expect(job.terrakubeJobID == "1")
            #expect(job.attempts == 1)
            #expect(relay.standIn.requests.count == 1)
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
            #expect(await eventually { relay.standIn.createdJobs.count == 1 })
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
            #expect(await eventually { relay.standIn.createdJobs.count == 1 })
            let attributes =
                (relay.standIn.requests.first?.json?["data"] as? [String: Any])?["attributes"] as? [String: Any]
            #expect(attributes?["overrideBranch"] as? String == "refs/tags/v0.0.1")
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
            #expect(await eventually { relay.standIn.createdJobs.count == 1 })
            // Recorded, and nothing else queued: no second request can come.
            #expect(try await eventually { try await relay.store.jobCounts() == [.done: 1] })
            #expect(relay.standIn.requests.count == 1)
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

}
