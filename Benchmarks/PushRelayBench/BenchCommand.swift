import ArgumentParser
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import ServiceLifecycle

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pushrelay-bench",
        abstract: "Helpers for Benchmarks/run.sh.",
        subcommands: [
            StandIn.self, GitStandIn.self, PlanStandIns.self, Drain.self, Intake.self, Follow.self, ConfigCost.self,
            HTTPFloor.self,
        ]
    )
}

extension BenchCommand {
    struct Intake: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the pure accept logic (verify, parse, route) on one body, without I/O."
        )

        @Option var body: String
        @Option var iterations: Int = 20_000
        /// Repositories configured beside the one the push is for, which comes last: what a larger
        /// config costs each delivery.
        @Option var otherRepositories: Int = 0

        func run() throws {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: self.body)))
            let secret = WebhookSecret("bench-secret")
            let config = try BenchCommand.acmeConfig(otherRepositories: self.otherRepositories)
            let headers = WebhookHeaders([
                (name: "X-GitHub-Event", value: "push"), (name: "X-GitHub-Delivery", value: "d"),
                (name: "X-Hub-Signature-256", value: HMACSignature.sign(body: bytes, secret: secret)),
            ])
            let intake = WebhookIntake(config: config)
            let started = ContinuousClock.now
            var queued = 0
            for _ in 0..<self.iterations {
                if case .accept(let plan) = intake.evaluate(provider: GitHubProvider(), headers: headers, body: bytes),
                    plan.record.decision == .queue
                {
                    queued += 1
                }
            }
            let elapsed = ContinuousClock.now - started
            print(
                String(
                    format: "intake: %.1f µs per delivery (%d queued)",
                    elapsed.seconds * 1e6 / Double(self.iterations),
                    queued
                )
            )
            // The push read both ways: the hand-written reader of the accept path, and Foundation's decoder
            // (the reference the tests and the fuzz target hold it to).
            let reader = self.microseconds { _ = try? GitHubStylePayload(json: bytes, provider: .github) }
            let decoder = self.microseconds {
                _ = try? JSONDecoder().decode(GitHubStylePayload.self, from: Data(bytes))
            }
            print(String(format: "payload read: JSONReader %.1f µs, JSONDecoder %.1f µs", reader, decoder))
        }

        /// Microseconds per run of `body`, over ``iterations`` runs.
        private func microseconds(_ body: () -> Void) -> Double {
            let started = ContinuousClock.now
            for _ in 0..<self.iterations { body() }
            return (ContinuousClock.now - started).seconds * 1e6 / Double(self.iterations)
        }
    }

    /// acme/infra's `main` routed to a workspace, with the secret `bench-secret`, configured after
    /// `otherRepositories` others: the config the push in `Benchmarks/` is for.
    static func acmeConfig(otherRepositories: Int = 0) throws -> RelayConfig {
        let secret = WebhookSecret("bench-secret")
        return RelayConfig(
            settings: ServiceSettings(
                listen: ListenAddress(host: "127.0.0.1", port: 0),
                terrakube: .init(url: "http://127.0.0.1:9", token: "t", organization: "org"),
                store: .sqlite(":memory:"),
                defaultSecrets: []
            ),
            repositories: (0..<otherRepositories).map { index in
                RepositoryConfig(
                    identity: RepositoryIdentity(host: "github.com", path: "acme/infra-\(index)"),
                    file: "infra-\(index).yaml",
                    secrets: [secret],
                    routes: []
                )
            } + [
                RepositoryConfig(
                    identity: RepositoryIdentity(host: "github.com", path: "acme/infra"),
                    file: "infra.yaml",
                    secrets: [secret],
                    routes: [
                        Route(
                            file: "infra.yaml",
                            line: 1,
                            branches: try PatternSet(["main"]),
                            workspace: "ws",
                            template: "tpl"
                        )
                    ]
                )
            ]
        )
    }

    struct StandIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "standin",
            abstract: "Run the Terrakube stand-in on 127.0.0.1 until SIGTERM or SIGINT."
        )

        @Option var port: Int = 18081
        @Option var token: String = "bench-token"
        @Option(help: "How long each job creation takes before its 201, in milliseconds.")
        var creationMs: Int = 0

        func run() async throws {
            let standIn = TerrakubeStandIn(token: self.token)
            standIn.takeForEachCreation(.milliseconds(self.creationMs))
            try await standIn.whileRunning(port: self.port) { url in
                print("stand-in listening at \(url)")
                try? await withGracefulShutdownHandler {
                    try await Task.sleep(for: .seconds(86_400))
                } onGracefulShutdown: {
                }
            }
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Queue N jobs in a fresh store, then time the real dispatcher (or several) sending them to the stand-in."
        )

        @Option var jobs: Int = 10_000
        @Option var concurrency: Int = 16
        @Option(help: "A PostgreSQL database to use instead of a fresh SQLite file (emptied first).")
        var postgresURL: String?
        @Option(help: "Dispatchers, each with a store and a service group of its own (PostgreSQL only).")
        var replicas: Int = 1

        func run() async throws {
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            if let url = self.postgresURL {
                let settings = try PostgresSettings.parse(url).get()
                try await self.withPostgres(settings, self.replicas, [], logger: logger)
            } else {
                let directory = NSTemporaryDirectory() + "pushrelay-drain-" + UUID().uuidString
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let store = try await SQLiteDeliveryStore.open(path: directory + "/store.sqlite", logger: logger)
                do {
                    try await self.drain([store], logger: logger)
                } catch {
                    try? await store.close()
                    throw error
                }
                try await store.close()
            }
        }

        private func withPostgres(
            _ settings: PostgresSettings,
            _ remaining: Int,
            _ opened: [PostgresDeliveryStore],
            logger: Logger
        ) async throws {
            guard remaining > 0 else { return try await self.drain(opened, logger: logger) }
            try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: logger) { store in
                try await self.withPostgres(settings, remaining - 1, opened + [store], logger: logger)
            }
        }

        private func drain(_ stores: [some ServedStore], logger: Logger) async throws {
            let count = self.jobs
            let first = stores[0]
            let filled = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<32 {
                    group.addTask {
                        for index in stride(from: lane, to: count, by: 32) {
                            _ = try await first.record(Self.plan(index))
                        }
                    }
                }
                try await group.waitForAll()
            }
            print("queued \(count) jobs in \(ContinuousClock.now - filled)")

            let standIn = TerrakubeStandIn(token: "bench-token")
            let concurrency = self.concurrency
            try await standIn.whileRunning { url in
                let config = RelayConfig(
                    settings: ServiceSettings(
                        listen: ListenAddress(host: "127.0.0.1", port: 0),
                        terrakube: .init(url: url, token: "bench-token", organization: "org"),
                        store: .sqlite(":unused:"),
                        defaultSecrets: [WebhookSecret("unused")],
                        dispatch: .bench(concurrency: concurrency)
                    ),
                    repositories: []
                )
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for store in stores {
                        let services = try buildServiceGroup(
                            config: config,
                            store: store,
                            logger: logger,
                            gracefulShutdownSignals: []
                        )
                        group.addTask { try await services.run() }
                        group.addTask {
                            try await Self.waitUntilCreated(count, first)
                            await services.triggerGracefulShutdown()
                        }
                    }
                    let started = ContinuousClock.now
                    try await Self.waitUntilCreated(count, first)
                    let elapsed = ContinuousClock.now - started
                    print(
                        String(
                            format: "drained %d jobs in %.2f s: %.0f jobs/s (concurrency %d, %d dispatcher%@)",
                            count,
                            elapsed.seconds,
                            Double(count) / elapsed.seconds,
                            concurrency,
                            stores.count,
                            stores.count == 1 ? "" : "s"
                        )
                    )
                    try await group.waitForAll()
                }
            }
            print("stand-in received \(standIn.createdJobs.count) creations")
        }

        private static func waitUntilCreated(_ count: Int, _ store: some QueueFigures) async throws {
            while (try await store.workCounts()[.createTerrakubeJob]?[.done] ?? 0) < count {
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        /// Delivery `index`, its one job created, and its commit status posted where `status` says.
        static func plan(_ index: Int, status: StatusTarget? = nil) -> DeliveryPlan {
            let job = JobSpec(
                organization: "org",
                workspace: "ws",
                template: "tpl",
                overrideBranch: "main",
                commitID: String(format: "%040d", index),
                via: "Github"
            )
            return DeliveryPlan(
                record: DeliveryRecord(
                    provider: .github,
                    deliveryID: "drain-\(index)",
                    event: "push",
                    receivedAt: Date(),
                    repository: "github.com/acme/infra",
                    ref: "refs/heads/main",
                    decision: .queue,
                    reason: "bench",
                    signature: .valid,
                    headers: WebhookHeaders(),
                    body: Array("{}".utf8)
                ),
                jobs: [job],
                work: [TerrakubeJobOrder(job, status: status).work] + (status.map { [$0.post(.queued)] } ?? [])
            )
        }
    }
}

extension ServiceSettings.Dispatch {
    /// The defaults, with `concurrency` calls at once and 5 attempts.
    static func bench(concurrency: Int) -> Self {
        var dispatch = Self()
        dispatch.concurrency = concurrency
        dispatch.maxAttempts = 5
        return dispatch
    }
}
