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
            #expect(await eventually { relay.standIn.createdJobs.count == 3 })
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

    /// Statuses posted with a token and as a GitHub App, and a Terrakube notification: no token, JWT,
    /// private key or signing secret in the logs.
    @Test func noStatusTokenJWTOrKeyIsLogged() async throws {
        let sink = CapturingLogHandler.Sink()
        let (app, pem) = try GitHostStandIn.App.withNewKey(id: "4711", installations: ["Codertocat/Hello-World": 5])
        let github = GitHostStandIn(app: app)
        let gitlab = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "running", "completed")
        standIn.script(job: 2, "running", "completed")
        try await github.whileRunning { githubURL in
            try await gitlab.whileRunning { gitlabURL in
                let service =
                    StatusEndToEndTests.service([(host: "github.com", kind: "github", url: githubURL)], app: true)
                    + "\n  example.com: {kind: gitlab, api_url: \"\(gitlabURL)\", token_env: STATUS_TOKEN}"
                let prepare: @Sendable (String) throws -> Void = { directory in
                    try StatusEndToEndTests.withUIURL(directory)
                    try pem.write(toFile: directory + "/app.pem", atomically: true, encoding: .utf8)
                }
                try await RelayHarness.run(
                    service: service,
                    prepare: prepare,
                    logger: sink.logger(label: "pushrelay"),
                    standIn: standIn
                ) { (relay: RelayHarness) async throws in
                    let (body, headers, _) = ProcessLifecycleTests.delivery(9)
                    #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
                    let push = Fixture.load("gitlab", "gitlab-docs-push-hook").body
                    let pushed = try await relay.post(
                        "/hooks/gitlab",
                        headers: RelayHarness.gitlab(push, uuid: "s-st"),
                        body: push
                    )
                    #expect(pushed.status == 202)
                    let ended = await eventually(within: .seconds(30)) {
                        [github, gitlab].allSatisfy { $0.requests.last?.json?["state"] as? String == "success" }
                    }
                    #expect(ended)
                }
            }
        }
        let logs = sink.text
        #expect(logs.contains("s-st"))
        let key = pem.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        let forbidden = ["status-token", "ghs_1", "eyJ", "PRIVATE KEY", key]
        for value in forbidden where !value.isEmpty {
            let line = logs.split(separator: "\n").first { $0.contains(value) } ?? ""
            #expect(!logs.contains(value), "logged: \(value) in: \(line.prefix(400))")
        }
    }
}
