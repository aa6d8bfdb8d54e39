import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

/// `check --online` reads each repository whose jobs get statuses with its host's credentials, and says
/// which cannot see which repository (the real binary, against Git-host stand-ins).
@Suite(.timeLimit(.minutes(2)))
struct StatusCheckTests {
    @Test func checkOnlineSaysWhichTokenCannotSeeWhichRepository() async throws {
        let github = GitHostStandIn()
        github.hide("/repos/bradrydzewski/drone-test-go")
        let gitlab = GitHostStandIn()
        try await github.whileRunning { githubURL in
            try await gitlab.whileRunning { gitlabURL in
                let setup = try ProcessLifecycleTests.Setup(
                    environment: ["STATUS_TOKEN": "status-token", "GL_TOKEN": "gl-token"],
                    service: StatusEndToEndTests.service([
                        (host: "github.com", kind: "github", url: githubURL),
                        (host: "example.com", kind: "gitlab", url: gitlabURL + "/api/v4"),
                    ])
                )
                defer { setup.remove() }
                try StatusEndToEndTests.withUIURL(setup.directory)
                for name in ["drone.yaml", "diaspora.yaml"] {
                    try RelayHarness.repositories[name]!.write(
                        toFile: setup.directory + "/repos/" + name,
                        atomically: true,
                        encoding: .utf8
                    )
                }
                let arguments = ["check", "--online", "--config", setup.directory]
                let refused = try await RelayProcess.run(arguments, environment: setup.environment)
                #expect(refused.status == 1)
                #expect(
                    refused.stdout.split(separator: "\n").map(String.init) == [
                        setup.directory + "/repos/drone.yaml: statuses on github.com: the token cannot read "
                            + "bradrydzewski/drone-test-go: HTTP 404: Not Found"
                    ],
                    "\(refused.stdout)\(refused.stderr)"
                )
                #expect(!refused.stdout.contains("status-token"))
                // One read each, with the credentials posts use.
                #expect(
                    Set(github.reads.map(\.target)) == [
                        "/repos/Codertocat/Hello-World", "/repos/bradrydzewski/drone-test-go",
                    ]
                )
                #expect(github.reads.allSatisfy { $0.headers["authorization"] == "Bearer status-token" })
                #expect(gitlab.reads.map(\.target) == ["/api/v4/projects/mike%2Fdiaspora"])
                #expect(gitlab.reads.first?.headers["private-token"] == "status-token")
                #expect(github.requests.isEmpty && gitlab.requests.isEmpty, "nothing is posted")

                // Statuses off for that repository: nothing to read, the check passes.
                let drone = setup.directory + "/repos/drone.yaml"
                try (RelayHarness.repositories["drone.yaml"]! + "\nstatus: false\n").write(
                    toFile: drone,
                    atomically: true,
                    encoding: .utf8
                )
                let passed = try await RelayProcess.run(arguments, environment: setup.environment)
                #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
                #expect(passed.stdout.contains("statuses ok: 2 repositories readable with their status credentials"))
            }
        }
    }
}
