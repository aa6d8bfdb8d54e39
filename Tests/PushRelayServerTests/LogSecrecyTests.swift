import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

/// The logs of a full run, at trace level, hold no secret, token, signature or payload.
struct LogSecrecyTests {
    @Test func noSecretTokenSignatureOrPayloadIsLogged() async throws {
        let sink = CapturingLogHandler.Sink()
        let github = Fixture.load("github", "go-scm-push").body
        let signature = HMACSignature.sign(body: github, secret: WebhookSecret("topsecret"))
        let gitlab = Fixture.load("gitlab", "gitlab-docs-push-hook").body
        let azure = Fixture.load("azure-devops", "msdocs-git-push").body
        let basic = "Basic " + Data("pushrelay:az-secret".utf8).base64EncodedString()
        try await RelayHarness.run(logger: sink.logger(label: "pushrelay")) { relay in
            _ = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(github, delivery: "s-1"),
                body: github
            )
            _ = try await relay.post(
                "/hooks/github",
                headers: RelayHarness.github(github, delivery: "s-2", secret: "wrong"),
                body: github
            )
            _ = try await relay.post("/hooks/gitlab", headers: RelayHarness.gitlab(gitlab, uuid: "s-3"), body: gitlab)
            _ = try await relay.post(
                "/hooks/gitlab",
                headers: RelayHarness.gitlab(gitlab, uuid: "s-4", token: "guess-token"),
                body: gitlab
            )
            _ = try await relay.post("/hooks/azure-devops", headers: [("Authorization", basic)], body: azure)
            #expect(try await relay.eventually { relay.standIn.createdJobs.count == 3 })
        }
        let logs = sink.text
        #expect(logs.contains("s-1"))  // the run was logged at all
        #expect(logs.contains("Job created"))
        let forbidden = [
            "topsecret", "gl-token", "guess-token", "az-secret", "default-secret", RelayHarness.token, "tk-token",
            String(signature.dropFirst("sha256=".count)), String(basic.dropFirst("Basic ".count)),
            "Update README", "Fixed bug in web.config",
            "jsmith@example.com", "codertocat@octokit.org",
        ]
        for value in forbidden where !value.isEmpty {
            let line = logs.split(separator: "\n").first { $0.contains(value) } ?? ""
            #expect(!logs.contains(value), "logged: \(value) in: \(line.prefix(400))")
        }
    }
}
