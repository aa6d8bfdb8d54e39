import AsyncHTTPClient
import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Commit statuses across a `kill -9`, with the real process on each store: following and posting are
/// work in the store like job creation, so the process that starts next finishes them.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct StatusProcessTests {
    enum Store: String, CaseIterable, Sendable {
        case sqlite, postgres

        /// PostgreSQL only where its server is installed (or required).
        static var available: [Store] { PostgresTestCluster.isAvailable ? Self.allCases : [.sqlite] }
    }

    @Test(arguments: Store.available)
    func killedMidLifecycleTheFinalStatusStillArrives(_ store: Store) async throws {
        let git = GitHostStandIn()
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        // Each state once the host has the one before; held waiting for approval until the process is gone.
        standIn.script(job: 1, "queue")
        git.onPost { request in
            switch request.json?["description"] as? String {
            case "Terrakube job 1: queued": standIn.script(job: 1, "running")
            case "Terrakube job 1: running": standIn.script(job: 1, "waitingApproval")
            default: break
            }
        }
        try await standIn.whileRunning { terrakube in
            try await git.whileRunning { gitURL in
                var environment = ["STATUS_TOKEN": "status-token"]
                var storeLine: String?
                if store == .postgres {
                    environment["PG_URL"] = try PostgresTestCluster.shared().createDatabase()
                    storeLine = "postgres_url_env: PG_URL"
                }
                let setup = try ProcessLifecycleTests.Setup(
                    terrakubeURL: terrakube,
                    requestTimeoutSeconds: 2,
                    store: storeLine,
                    leaseSeconds: 4,
                    environment: environment,
                    service: StatusEndToEndTests.service(gitURL)
                )
                defer { setup.remove() }
                try StatusEndToEndTests.withUIURL(setup.directory)
                let client = ReplicaTests.client()

                let first = try setup.start("first")
                let port = try await first.port()
                let (body, headers, commit) = ProcessLifecycleTests.delivery(11)
                #expect(await ReplicaTests.post(client, port: port, body: body, headers: headers) == 202)
                let waiting = await eventually(within: .seconds(30)) {
                    git.requests.contains {
                        $0.json?["description"] as? String == "Terrakube job 1: waiting for approval"
                    }
                }
                #expect(waiting, "\(first.logText())")
                first.signal(SIGKILL)
                _ = try await first.exitStatus(timeout: .seconds(10))
                standIn.script(job: 1, "completed")

                let second = try setup.start("second")
                _ = try await second.port()
                let finished = await eventually(within: .seconds(60)) {
                    git.requests.last?.json?["state"] as? String == "success"
                }
                #expect(finished, "\(second.logText())")
                #expect(git.requests.last?.json?["description"] as? String == "Terrakube job 1: completed")
                #expect(git.requests.allSatisfy { $0.target == "/repos/Codertocat/Hello-World/statuses/\(commit)" })
                #expect(standIn.createdJobs.count == 1)

                // Each post, with the host's answer, is in the delivery's history. The host has the last
                // post before the process records its answer, so the record is waited for.
                var show = try await RelayProcess.run(
                    ["deliveries", "show", headers[1].1, "--config", setup.directory],
                    environment: setup.environment
                )
                _ = try await eventually(within: .seconds(15)) {
                    if show.stdout.contains("posted success \"Terrakube job 1: completed\": HTTP 201") { return true }
                    show = try await RelayProcess.run(
                        ["deliveries", "show", headers[1].1, "--config", setup.directory],
                        environment: setup.environment
                    )
                    return false
                }
                let post = try #require(
                    show.stdout.split(separator: "\n").first { $0.contains("status.post/github.com") }
                )
                #expect(post.contains("status pushrelay/ws-hello, commit \(commit.prefix(12))"), "\(show.stdout)")
                #expect(post.contains("says success: Terrakube job 1: completed"), "\(show.stdout)")
                // Not the state before the kill: it may come between its post and its record.
                for state in ["queued", "running"] {
                    #expect(
                        show.stdout.contains("posted pending \"Terrakube job 1: \(state)\": HTTP 201"),
                        "\(show.stdout)"
                    )
                }
                #expect(
                    show.stdout.contains("posted success \"Terrakube job 1: completed\": HTTP 201"),
                    "\(show.stdout)"
                )
                #expect(
                    show.stdout.contains("terrakube.follow-job (terrakube_job 1), after #1: done"),
                    "\(show.stdout)"
                )
                try? await client.shutdown()
                second.signal(SIGTERM)
                #expect(try await second.exitStatus(timeout: .seconds(30)) == 0)
            }
        }
    }
}
