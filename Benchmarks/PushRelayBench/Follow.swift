import ArgumentParser
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import ServiceLifecycle
import Synchronization

extension BenchCommand {
    /// N jobs followed at once through the real dispatchers, follower and poster, on a fresh SQLite store,
    /// against the Terrakube and Git-host stand-ins in this process.
    struct Follow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow N running Terrakube jobs for their statuses; then finish them all and time the statuses."
        )

        @Option var jobs: Int = 1000
        @Option(help: "How often a running job is read (status.poll_seconds).")
        var pollSeconds: Double = 5
        @Option(help: "How long the steady following is measured, in seconds.")
        var window: Double = 30
        @Flag(help: "Terrakube refuses filter[job]=id=in=(…), so each job is read on its own.")
        var perJob = false

        func run() async throws {
            let logger = {
                var logger = Logger(label: "bench")
                logger.logLevel = .error
                return logger
            }()
            let directory = NSTemporaryDirectory() + "pushrelay-follow-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let store = try await SQLiteDeliveryStore.open(path: directory + "/store.sqlite", logger: logger)
            let terrakube = TerrakubeStandIn(token: "bench-token")
            terrakube.refuseIDFilter(self.perJob)
            // Every job is created queued, then runs until it is told to finish.
            for id in 1...self.jobs { terrakube.script(job: id, "queue", "running") }
            let git = GitHostStandIn()
            let posts = PostTally()
            git.onPost { posts.record($0) }
            do {
                try await terrakube.whileRunning { terrakubeURL in
                    try await git.whileRunning { gitURL in
                        try await self.measure(store, terrakube, terrakubeURL, gitURL, posts, logger)
                    }
                }
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }

        private func measure(
            _ store: SQLiteDeliveryStore,
            _ terrakube: TerrakubeStandIn,
            _ terrakubeURL: String,
            _ gitURL: String,
            _ posts: PostTally,
            _ logger: Logger
        ) async throws {
            var settings = ServiceSettings(
                listen: ListenAddress(host: "127.0.0.1", port: 0),
                terrakube: .init(url: terrakubeURL, token: "bench-token", organization: "org"),
                store: .sqlite(":unused:"),
                defaultSecrets: [WebhookSecret("unused")],
                dispatch: .bench(concurrency: 16)
            )
            settings.terrakube.uiURL = "https://ui.example.com"
            var status = StatusSettings()
            settings.hosts = ["github.com": .init(kind: .github, apiURL: gitURL, token: APIToken("bench"))]
            status.pollSeconds = self.pollSeconds
            settings.status = status
            let count = self.jobs
            for index in 0..<count { _ = try await store.record(Self.plan(index)) }
            let services = try buildServiceGroup(
                config: RelayConfig(settings: settings, repositories: []),
                store: store,
                logger: logger,
                gracefulShutdownSignals: []
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.run() }
                let started = ContinuousClock.now
                try await Self.until { posts.running >= count }
                print(
                    String(
                        format: "%d jobs created and shown running in %.1f s (%@)",
                        count,
                        (ContinuousClock.now - started).seconds,
                        self.perJob ? "one job per read" : "up to 100 jobs per read"
                    )
                )

                let reads = { terrakube.requests.filter { $0.method == "GET" }.count }
                let (readsBefore, cpuBefore, windowStart) = (reads(), Self.cpuSeconds(), ContinuousClock.now)
                try await Task.sleep(for: .milliseconds(Int64(self.window * 1000)))
                let elapsed = (ContinuousClock.now - windowStart).seconds
                let (readCount, cpu) = (reads() - readsBefore, Self.cpuSeconds() - cpuBefore)
                print(
                    String(
                        format:
                            "steady: %.1f Terrakube requests/s following %d jobs every %.0f s; "
                            + "CPU %.1f%% of one core (this process, stand-ins included)",
                        Double(readCount) / elapsed,
                        count,
                        self.pollSeconds,
                        100 * cpu / elapsed
                    )
                )

                // Terrakube finishes every job at once; each status must turn to success.
                let finished = ContinuousClock.now
                for id in 1...count { terrakube.script(job: id, "completed") }
                try await Self.until { posts.successes.count >= count }
                let times = posts.successes.map { $0 - finished }
                let first = times.min()?.seconds ?? 0
                let last = times.max()?.seconds ?? 0
                print(
                    String(
                        format:
                            "finish: first success %.2f s, last %.2f s after Terrakube finished; %.0f posts/s "
                            + "between them; %d posts in all",
                        first,
                        last,
                        Double(count) / max(last - first, 0.001),
                        posts.total
                    )
                )
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }

        private static func until(_ condition: @Sendable () -> Bool) async throws {
            while !condition() { try await Task.sleep(for: .milliseconds(10)) }
        }

        /// User and system time of this process so far (`/proc/self/stat`, in clock ticks).
        private static func cpuSeconds() -> Double {
            guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return 0 }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // utime and stime are fields 14 and 15; after the `)` the first field is the 3rd.
            let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
            return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        private static func plan(_ index: Int) -> DeliveryPlan {
            let status = StatusTarget(
                host: "github.com",
                repository: "acme/infra",
                commit: String(format: "%040d", index),
                context: "pushrelay/ws",
                organization: "org",
                workspace: "ws",
                uiURL: "https://ui.example.com"
            )
            var plan = Drain.plan(index, status: status)
            plan.record.deliveryID = "follow-\(index)"
            return plan
        }
    }
}

/// The posts the Git-host stand-in took: how many said what, and when each success came.
final class PostTally: Sendable {
    private struct State {
        var running = 0
        var total = 0
        var successes: [ContinuousClock.Instant] = []
    }

    private let state = Mutex(State())

    func record(_ post: GitHostStandIn.Recorded) {
        let json = post.json
        let state = json?["state"] as? String
        let running = (json?["description"] as? String)?.hasSuffix(": running") == true
        let now = ContinuousClock.now
        self.state.withLock {
            $0.total += 1
            if running { $0.running += 1 }
            if state == "success" { $0.successes.append(now) }
        }
    }

    /// Posts that said a job is running.
    var running: Int { self.state.withLock { $0.running } }
    var total: Int { self.state.withLock { $0.total } }
    var successes: [ContinuousClock.Instant] { self.state.withLock { $0.successes } }
}
