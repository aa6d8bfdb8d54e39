import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Routes change without a restart: a new file is used by the next delivery, a broken one keeps the old
/// config and counts a failure, and Kubernetes' ConfigMap symlink swap is seen.
@Suite(.timeLimit(.minutes(2)))
struct ConfigReloadTests {
    static let watching = "reload:\n  poll_seconds: 0.05"

    /// A push to `github.com/acme/late-infra`, a repository the test configures while the relay runs.
    static func latePush(
        _ delivery: String,
        secret: String = "topsecret"
    ) -> (body: [UInt8], headers: [(String, String)]) {
        let text = String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
            .replacingOccurrences(of: "Codertocat/Hello-World", with: "acme/late-infra")
        let body = Array(text.utf8)
        return (body, RelayHarness.github(body, delivery: delivery, secret: secret))
    }

    static let lateRoute = """
        repository: github.com/acme/late-infra
        secret_env: GH_SECRET
        routes:
          - branches: ["master"]
            workspace: ws-late
            template: tpl-late
        """

    /// Posts fresh late pushes until one is queued, the sign that the new route is in force.
    static func untilQueued(_ relay: RelayHarness, prefix: String) async throws -> Bool {
        var attempt = 0
        return try await eventually {
            attempt += 1
            let push = Self.latePush("\(prefix)-\(attempt)")
            return try await relay.post("/hooks/github", headers: push.headers, body: push.body).status == 202
        }
    }

    static func reloads(_ relay: RelayHarness, _ result: String) async throws -> Double {
        try PrometheusText(try await relay.get("/metrics").text)["pushrelay_config_reloads_total", ["result": result]]
            ?? -1
    }

    @Test func newFileIsUsedAndABrokenOneKeepsTheOldRoutes() async throws {
        try await RelayHarness.run(service: Self.watching, reload: true) { relay in
            // Unknown at first: verified by the default secret, answered as ignored.
            let before = Self.latePush("late-0", secret: "default-secret")
            let ignored = try await relay.post("/hooks/github", headers: before.headers, body: before.body)
            #expect(ignored.status == 200)
            #expect(ignored.body["status"] as? String == "ignored")

            try Self.lateRoute.write(toFile: relay.directory + "/repos/late.yaml", atomically: true, encoding: .utf8)
            #expect(try await Self.untilQueued(relay, prefix: "late-a"))
            #expect(
                await eventually {
                    relay.standIn.requests.contains { $0.json.map { "\($0)" }?.contains("ws-late") == true }
                }
            )

            let failuresBefore = try await Self.reloads(relay, "failure")
            try "routes: [\n".write(toFile: relay.directory + "/repos/broken.yaml", atomically: true, encoding: .utf8)
            #expect(try await eventually { try await Self.reloads(relay, "failure") >= failuresBefore + 1 })
            // The routes of the last good config still apply.
            let after = Self.latePush("late-b")
            #expect(try await relay.post("/hooks/github", headers: after.headers, body: after.body).status == 202)

            let successes = try await Self.reloads(relay, "success")
            try FileManager.default.removeItem(atPath: relay.directory + "/repos/broken.yaml")
            #expect(try await eventually { try await Self.reloads(relay, "success") >= successes + 1 })
        }
    }

    /// The layout kubelet gives a mounted ConfigMap: files are symlinks through `..data`, which is swapped
    /// in one rename to a new timestamped folder.
    @Test func kubernetesSymlinkSwapIsPickedUp() async throws {
        try await RelayHarness.run(service: Self.watching, reload: true, prepare: Self.kubeletLayout) { relay in
            let manager = FileManager.default
            let directory = relay.directory
            let late = Self.latePush("swap-0")
            // Not configured yet: its own secret verifies nothing.
            #expect(try await relay.post("/hooks/github", headers: late.headers, body: late.body).status == 401)

            // kubelet: write the new version beside the old, then rename a new symlink over `..data`.
            try manager.copyItem(atPath: directory + "/..2026_11_29_v1", toPath: directory + "/..2026_11_29_v2")
            try Self.lateRoute.write(
                toFile: directory + "/..2026_11_29_v2/repos/late.yaml",
                atomically: true,
                encoding: .utf8
            )
            try manager.createSymbolicLink(atPath: directory + "/..data_tmp", withDestinationPath: "..2026_11_29_v2")
            #expect(rename(directory + "/..data_tmp", directory + "/..data") == 0)
            #expect(try await Self.untilQueued(relay, prefix: "swap"))
        }
    }

    /// A secret file outside the config directory (a Kubernetes Secret mounted elsewhere) is watched too:
    /// rotating it makes the new secret verify and the old one fail, without a SIGHUP.
    @Test func rotatedSecretFileIsPickedUp() async throws {
        let secrets = NSTemporaryDirectory() + "pushrelay-secrets-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: secrets) }
        try "first-secret\n".write(toFile: secrets + "/late", atomically: true, encoding: .utf8)
        let route = Self.lateRoute.replacingOccurrences(
            of: "secret_env: GH_SECRET",
            with: "secret_file: \(secrets)/late"
        )
        let addRoute: @Sendable (String) throws -> Void = { directory in
            try route.write(toFile: directory + "/repos/late.yaml", atomically: true, encoding: .utf8)
        }
        try await RelayHarness.run(service: Self.watching, reload: true, prepare: addRoute) { relay in
            let first = Self.latePush("rot-1", secret: "first-secret")
            #expect(try await relay.post("/hooks/github", headers: first.headers, body: first.body).status == 202)

            try "second-secret\n".write(toFile: secrets + "/late", atomically: true, encoding: .utf8)
            #expect(
                try await eventually {
                    let next = Self.latePush("rot-\(UUID().uuidString)", secret: "second-secret")
                    return try await relay.post("/hooks/github", headers: next.headers, body: next.body).status == 202
                }
            )
            let old = Self.latePush("rot-old", secret: "first-secret")
            #expect(try await relay.post("/hooks/github", headers: old.headers, body: old.body).status == 401)
        }
    }

    /// Moves the files into `..2026_11_29_v1` and links them through `..data`, as kubelet mounts them.
    @Sendable static func kubeletLayout(_ directory: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory + "/..2026_11_29_v1", withIntermediateDirectories: true)
        for name in ["pushrelay.yaml", "repos"] {
            try manager.moveItem(atPath: directory + "/" + name, toPath: directory + "/..2026_11_29_v1/" + name)
            try manager.createSymbolicLink(atPath: directory + "/" + name, withDestinationPath: "..data/" + name)
        }
        try manager.createSymbolicLink(atPath: directory + "/..data", withDestinationPath: "..2026_11_29_v1")
    }

    /// SIGHUP to the real process reloads; without it (and with polling off) a change waits.
    @Test func sighupReloadsTheRealProcess() async throws {
        let setup = try ProcessLifecycleTests.Setup(service: "reload:\n  poll_seconds: 0")
        defer { setup.remove() }
        let relay = try setup.start("sighup")
        _ = try await relay.port()
        #expect(try await waitForLog(relay, "Config reloads on SIGHUP"))
        try Self.lateRoute.write(toFile: setup.directory + "/repos/late.yaml", atomically: true, encoding: .utf8)
        relay.signal(SIGHUP)
        #expect(try await waitForLog(relay, "Config reloaded"))
        #expect(relay.logText().contains(#""relay.trigger":"SIGHUP""#))
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus(timeout: .seconds(10)) == 0)
    }

    private func waitForLog(_ relay: RelayProcess, _ message: String) async throws -> Bool {
        await eventually(within: .seconds(5)) { relay.logLines().contains { $0["msg"] as? String == message } }
    }
}
