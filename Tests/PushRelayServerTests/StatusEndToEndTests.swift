import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

/// A push's job shown on its commit through its whole life: the real listener, dispatchers and store,
/// Terrakube's stand-in moving the job through its states, and a GitHub stand-in taking the statuses.
@Suite(.timeLimit(.minutes(2)))
struct StatusEndToEndTests {
    static func service(_ gitURL: String) -> String {
        """
        status:
          poll_seconds: 0.1
          approval_poll_seconds: 0.1
          hosts:
            github.com:
              kind: github
              api_url: "\(gitURL)"
              token_env: STATUS_TOKEN
        """
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

    @Test func aPushesJobIsShownOnItsCommitUntilTerrakubeHasFinishedIt() async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.script(job: 1, "queue", "running", "waitingApproval", "completed")
        try await git.whileRunning { gitURL in
            try await RelayHarness.run(service: Self.service(gitURL), prepare: Self.withUIURL, standIn: standIn) {
                (relay: RelayHarness) async throws in
                let (body, headers, commit) = ProcessLifecycleTests.delivery(7)
                #expect(try await relay.post("/hooks/github", headers: headers, body: body).status == 202)
                let path = "/repos/codertocat/hello-world/statuses/\(commit)"
                let finished = await eventually(within: .seconds(30)) {
                    git.requests.last?.json?["state"] as? String == "success"
                }
                #expect(finished)
                let posts = git.requests
                #expect(posts.allSatisfy { $0.target == path && $0.headers["authorization"] == "Bearer status-token" })
                #expect(posts.allSatisfy { $0.json?["context"] as? String == "pushrelay/ws-hello" })
                let said = posts.compactMap { $0.json?["description"] as? String }
                // In order, each once; a state that changed again before it was sent is replaced, not sent.
                let lifecycle = [
                    "Queued", "Terrakube job 1: queued", "Terrakube job 1: running",
                    "Terrakube job 1: waiting for approval", "Terrakube job 1: completed",
                ]
                #expect(said.last == "Terrakube job 1: completed")
                #expect(said == lifecycle.filter(said.contains), "\(said)")
                #expect(posts.dropLast().allSatisfy { $0.json?["state"] as? String == "pending" })
                #expect(
                    posts.last?.json?["target_url"] as? String
                        == "https://ui.example.com/organizations/\(RelayHarness.organization)/workspaces/ws-hello/runs/1"
                )
                #expect(standIn.createdJobs.count == 1)
            }
        }
    }
}
