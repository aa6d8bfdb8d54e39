import Foundation
import Logging
import PushRelayCore
import ServiceLifecycle
import UnixSignals

/// Reloads the config without a restart, on SIGHUP and when a file in the config directory changes.
/// The new config is loaded and validated whole (names resolved too) before it replaces the old one for
/// new deliveries; a config with any error is refused, each problem logged as `check` prints it, and the
/// old one stays in force.
package struct ConfigReloader: Service {
    package let directory: String
    package let holder: ConfigHolder
    package let metrics: RelayMetrics
    package let logger: Logger
    /// How often the directory is checked; `nil` leaves reloading to SIGHUP.
    package var pollInterval: Duration?
    package var environment: [String: String]
    /// Resolves names through Terrakube, as `serve` does at start.
    package var resolve: @Sendable (RelayConfig) async -> (RelayConfig?, [ConfigProblem])
    /// What the last load made of each repository file: a reload parses only those that changed.
    package var cache: RepositoryFileCache

    package init(
        directory: String,
        holder: ConfigHolder,
        metrics: RelayMetrics,
        logger: Logger,
        pollInterval: Duration?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        cache: RepositoryFileCache = RepositoryFileCache(),
        resolve: @escaping @Sendable (RelayConfig) async -> (RelayConfig?, [ConfigProblem])
    ) {
        self.cache = cache
        self.directory = directory
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
        self.pollInterval = pollInterval
        self.environment = environment
        self.resolve = resolve
    }

    package func run() async throws {
        let (triggers, trigger) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let directory = self.directory
        let interval = self.pollInterval
        // Trapped before the line below is logged, so that a SIGHUP sent after it never kills the process.
        let signals = await UnixSignalsSequence(trapping: .sighup)
        self.logger.info(
            "\(interval == nil ? "Config reloads on SIGHUP" : "Config reloads on SIGHUP and on changes in its directory")",
            metadata: ["relay.config": "\(directory)", "relay.poll": "\(interval.map { "\($0)" } ?? "off")"]
        )
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in signals { trigger.yield("SIGHUP") }
                }
                if let interval {
                    group.addTask {
                        var last = ConfigFingerprint.read(directory)
                        while (try? await Task.sleep(for: interval)) != nil {
                            let now = ConfigFingerprint.read(directory, previous: last)
                            if now != last { trigger.yield("file change") }
                            last = now
                        }
                    }
                }
                // One reload at a time; triggers arriving meanwhile collapse into one more.
                for await reason in triggers { await self.reload(trigger: reason) }
                group.cancelAll()
            }
        }
        trigger.finish()
    }

    /// Loads, validates and swaps in the config; `true` when the new one is in force.
    @discardableResult
    package func reload(trigger: String) async -> Bool {
        let loader = ConfigLoader(directory: self.directory, environment: self.environment, cache: self.cache)
        let (loaded, problems) = loader.validate()
        let errors = problems.filter { $0.severity == .error }
        guard var config = loaded, errors.isEmpty else {
            return self.refuse(trigger: trigger, problems: errors)
        }
        let (resolved, unresolved) = await self.resolve(config)
        guard let resolved else { return self.refuse(trigger: trigger, problems: unresolved) }
        config = resolved

        let old = self.holder.config
        for setting in config.settings.restartOnlyDifferences(from: old.settings) {
            self.logger.warning(
                "Config reload: this setting changed but takes effect only after a restart",
                metadata: ["relay.setting": "\(setting)"]
            )
        }
        for warning in config.warnings {
            self.logger.warning("Config warning", metadata: ["relay.problem": "\(warning)"])
        }
        self.holder.replace(with: config)
        self.metrics.configReload(succeeded: true)
        self.logger.info(
            "Config reloaded",
            metadata: [
                "relay.trigger": "\(trigger)", "relay.repositories": "\(config.repositories.count)",
                "relay.routes": "\(config.repositories.reduce(0) { $0 + $1.routes.count })",
            ]
        )
        return true
    }

    private func refuse(trigger: String, problems: [ConfigProblem]) -> Bool {
        for problem in problems {
            self.logger.error("Config problem", metadata: ["relay.problem": "\(problem)"])
        }
        self.metrics.configReload(succeeded: false)
        self.logger.error(
            "Config reload refused; the previous config stays in force",
            metadata: ["relay.trigger": "\(trigger)", "relay.problems": "\(problems.count)"]
        )
        return false
    }
}
