import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import PushRelayCore
import PushRelayFixtures
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import ServiceLifecycle

/// A real `serve` on loopback (its socket server, its SQLite file, its dispatcher) in front of the
/// Terrakube stand-in, with a config directory written to a temporary folder and loaded as `serve` does.
struct RelayHarness: Sendable {
    static let organization = "org-1"
    static let token = "tk-token"
    static let environment = [
        "TK_TOKEN": token, "DEFAULT_SECRET": "default-secret", "GH_SECRET": "topsecret", "GL_TOKEN": "gl-token",
        "GITEA_SECRET": "gitea-secret", "BB_SECRET": "bb-secret", "AZ_SECRET": "az-secret",
        "STATUS_TOKEN": "status-token",
    ]

    /// Routes for the repositories of the fixtures.
    static let repositories: [String: String] = [
        "hello.yaml": """
        repository: https://github.com/Codertocat/Hello-World.git
        secret_env: GH_SECRET
        routes:
          - branches: ["master"]
            workspace: ws-hello
            template: tpl-apply
        """,
        "drone.yaml": """
        repository: git@github.com:bradrydzewski/drone-test-go.git
        secret_env: GH_SECRET
        routes:
          - branches: ["**"]
            tags: ["v*"]
            workspace: ws-drone
            template: tpl-plan
        """,
        "gitea.yaml": """
        repository: http://localhost:3000/gitea/webhooks.git
        secret_env: GITEA_SECRET
        routes:
          - branches: ["develop"]
            workspace: ws-gitea
            template: tpl-apply
        """,
        "bitbucket-cloud.yaml": """
        repository: bitbucket.org/brydzewski/foo
        secret_env: BB_SECRET
        routes:
          - branches: ["master", "develop"]
            workspace: ws-bb
            template: tpl-apply
            on_delete:
              template: tpl-destroy
        """,
        "bitbucket-server.yaml": """
        repository: https://bitbucket.example.com/scm/PRJ/my-repo.git
        secret_env: BB_SECRET
        routes:
          - branches: ["master"]
            tags: ["v*"]
            workspace: ws-bbs
            template: tpl-apply
        """,
        "azure.yaml": """
        repository: https://dev.azure.com/fabrikam-fiber-inc/Fabrikam-Fiber-Git/_git/Fabrikam-Fiber-Git
        secret_env: AZ_SECRET
        routes:
          - branches: ["master"]
            workspace: ws-azure
            template: tpl-apply
        """,
        "diaspora.yaml": """
        repository: example.com/mike/diaspora
        secret_env: GL_TOKEN
        routes:
          - branches: ["master"]
            workspace: ws-diaspora
            template: tpl-apply
        """,
    ]

    let baseURL: String
    /// The config directory, as `--config` for the command line.
    let directory: String
    let standIn: TerrakubeStandIn
    let store: SQLiteDeliveryStore
    let client: HTTPClient

    struct Answer {
        var status: Int
        var body: [String: Any]
        var text: String = ""
        var headers: HTTPFields = [:]
    }

    /// Starts the stand-in and the relay, runs `body`, and stops both.
    /// - Parameters:
    ///   - reload: watch the config directory and reload on changes, as `serve` does.
    ///   - prepare: reshapes the config directory after it is written and before it is loaded.
    static func run(
        service extra: String = "",
        terrakubeToken: String = Self.token,
        terrakubeURL: String? = nil,
        busyTimeout: Duration = .seconds(5),
        requestTimeoutSeconds: Double = 5,
        reload: Bool = false,
        retry: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(20), maxDelay: .milliseconds(200), maxAttempts: 5),
        prepare: @Sendable (String) throws -> Void = { _ in },
        metrics: RelayMetrics? = nil,
        logger providedLogger: Logger? = nil,
        standIn: TerrakubeStandIn = TerrakubeStandIn(token: Self.token),
        _ body: @Sendable (RelayHarness) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-e2e-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await standIn.whileRunning { standInURL in
            let config = try Self.writeConfig(
                directory,
                terrakubeURL: terrakubeURL ?? standInURL,
                terrakubeToken: terrakubeToken,
                requestTimeoutSeconds: requestTimeoutSeconds,
                service: extra,
                prepare: prepare
            )
            var environment = Self.environment
            environment["TK_TOKEN"] = terrakubeToken

            let logger =
                providedLogger
                ?? {
                    var logger = Logger(label: "pushrelay-test")
                    logger.logLevel = .error
                    return logger
                }()
            let store = try await SQLiteDeliveryStore.open(
                path: config.settings.store.sqlitePath ?? "",
                busyTimeout: busyTimeout,
                logger: logger
            )
            let ports = PortBox()
            let group = try buildServiceGroup(
                config: config,
                store: store,
                logger: logger,
                configDirectory: reload ? directory : nil,
                environment: environment,
                metrics: metrics,
                gracefulShutdownSignals: [],
                retry: retry,
                onServerRunning: { ports.set($0) }
            )
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                try await group.whileRunning {
                    let harness = RelayHarness(
                        baseURL: "http://127.0.0.1:\(await ports.port())",
                        directory: directory,
                        standIn: standIn,
                        store: store,
                        client: client
                    )
                    try await body(harness)
                }
            } catch {
                try? await client.shutdown()
                try? await store.close()
                throw error
            }
            try await client.shutdown()
            try await store.close()
        }
    }

    /// Writes the config directory of the harness (``repositories``, and `pushrelay.yaml` with `service`
    /// added) and loads it as `serve` does.
    static func writeConfig(
        _ directory: String,
        terrakubeURL: String,
        terrakubeToken: String = Self.token,
        requestTimeoutSeconds: Double = 5,
        service extra: String = "",
        prepare: (String) throws -> Void = { _ in }
    ) throws -> RelayConfig {
        try FileManager.default.createDirectory(atPath: directory + "/repos", withIntermediateDirectories: true)
        let service = """
            listen: "127.0.0.1:0"
            terrakube:
              url: "\(terrakubeURL)"
              token_env: TK_TOKEN
              organization: "\(Self.organization)"
            store:
              sqlite: "\(directory)/data/pushrelay.sqlite"
            secret_env: DEFAULT_SECRET
            dispatch:
              request_timeout_seconds: \(requestTimeoutSeconds)
            \(extra)
            """
        try service.write(toFile: directory + "/pushrelay.yaml", atomically: true, encoding: .utf8)
        for (name, text) in Self.repositories {
            try text.write(toFile: directory + "/repos/" + name, atomically: true, encoding: .utf8)
        }
        try prepare(directory)
        var environment = Self.environment
        environment["TK_TOKEN"] = terrakubeToken
        return try ConfigLoader(directory: directory, environment: environment).load()
    }

    func post(_ path: String, headers: [(String, String)], body: [UInt8]) async throws -> Answer {
        try await self.send(path, method: .POST, headers: headers, body: body)
    }

    func get(_ path: String) async throws -> Answer {
        try await self.send(path, method: .GET)
    }

    func send(
        _ path: String,
        method: HTTPMethod,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await self.client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: bytes)))) as? [String: Any] ?? [:]
        return Answer(
            status: Int(response.status.code),
            body: json,
            text: String(decoding: Array(buffer: bytes), as: UTF8.self)
        )
    }

    /// GitHub's push fixture (`go-scm-push`, to `master`), moved on from its own commit to `after`: another
    /// push of the branch, which the remembered head does not take for the same commit again.
    static func githubPush(after: String, before: String = "199eddf46df50de8d02e99bf1c5fdb4101338224") -> [UInt8] {
        let fixture = String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
        return Array(
            fixture.replacingOccurrences(
                of: "\"before\": \"a10867b14bb761a232cd80139fbd4c0d33264240\"",
                with: "\"before\": \"\(before)\""
            ).replacingOccurrences(
                of: "\"after\": \"199eddf46df50de8d02e99bf1c5fdb4101338224\"",
                with: "\"after\": \"\(after)\""
            ).utf8
        )
    }

    /// Headers of a signed GitHub delivery.
    static func github(
        _ body: [UInt8],
        event: String = "push",
        delivery: String,
        secret: String = "topsecret"
    ) -> [(String, String)] {
        [
            ("X-GitHub-Event", event), ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", HMACSignature.sign(body: body, secret: WebhookSecret(secret))),
            ("Content-Type", "application/json"),
        ]
    }

    static func gitlab(
        _ body: [UInt8],
        event: String = "Push Hook",
        uuid: String,
        token: String = "gl-token"
    ) -> [(String, String)] {
        [
            ("X-Gitlab-Event", event), ("X-Gitlab-Event-UUID", uuid), ("X-Gitlab-Token", token),
            ("Content-Type", "application/json"),
        ]
    }

    /// The first job of a delivery once it has reached `state`, waiting as ``eventually`` does; `nil` if it
    /// does not get there in time.
    func job(
        _ deliveryID: String,
        provider: ProviderKind = .github,
        reaching state: WorkState
    ) async throws -> WorkRecord? {
        let reached = try await eventually {
            try await self.store.jobs(provider: provider, deliveryID: deliveryID).first?.state == state
        }
        return reached ? try await self.store.jobs(provider: provider, deliveryID: deliveryID).first : nil
    }
}

extension WorkHandler {
    /// One attempt at `work`, its payload read as the dispatcher reads it.
    func attempt(_ work: ClaimedWork, logger: Logger) async throws -> WorkOutcome {
        await self.perform(work, try self.type.payload(work.payload), logger: logger)
    }
}
