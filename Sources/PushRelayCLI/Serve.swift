import ArgumentParser
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore
import ServiceLifecycle

extension PushRelayCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the webhook listener and the job dispatcher until SIGTERM or SIGINT.",
            discussion: """
                Loads the config exactly as 'check' does and refuses to start on any error. Secrets are read \
                from the environment variables and files the config names. On SIGTERM the listener stops \
                accepting, requests in flight are answered, Terrakube calls in flight finish, and the \
                process exits 0; pending jobs resume at the next start, or at once on another replica. \
                With store.postgres_url_env (or _file), any number of serve processes on one PostgreSQL \
                database are replicas of one service: each accepts webhooks and sends jobs. A SQLite \
                store serves one process: a second serve on the same file is refused. On SIGHUP, and when pushrelay.yaml, a \
                repository file or a secret file they name changes, the config is reloaded; an invalid one is \
                refused (each problem logged) and the running config kept. GET /metrics serves Prometheus metrics.
                """
        )

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let logger = self.options.bootstrapLogging()
            returnLargeAllocationsToTheSystem()
            var config: RelayConfig
            // Kept for reloads, which then parse only the repository files that changed.
            let configCache = RepositoryFileCache()
            do {
                config = try ConfigLoader(directory: self.options.config, cache: configCache).load()
            } catch {
                for problem in error.problems {
                    logger.error("Config problem", metadata: ["relay.problem": "\(problem)"])
                }
                printProblems(error.problems)
                throw ExitCode.failure
            }
            let (resolved, unresolved) = await resolveNames(
                config,
                servicePath: self.options.config + "/pushrelay.yaml",
                logger: logger
            )
            guard let resolved else {
                printProblems(unresolved)
                throw ExitCode.failure
            }
            config = resolved
            for warning in config.warnings {
                logger.warning("Config warning", metadata: ["relay.problem": "\(warning)"])
            }
            let settings = config
            let directory = self.options.config
            do {
                try await withStore(config.settings.store, access: .serve, logger: logger) { store in
                    try await Self.serve(
                        settings,
                        store: store,
                        configDirectory: directory,
                        configCache: configCache,
                        logger: logger
                    )
                }
            } catch let failure as CommandFailure {
                throw failure
            } catch {
                // The store could not be opened: locked by another serve, unreachable, a newer schema.
                logger.error("Store unavailable", metadata: ["relay.error": "\(error)"])
                let advice = error is StoreDiskFull ? ". Free space on that volume and start serve again" : ""
                throw CommandFailure("store \(config.settings.store): \(error)\(advice)")
            }
            logger.info("Stopped")
        }

        /// Runs the service group until it stops; a failure is a ``CommandFailure`` (exit 1).
        private static func serve(
            _ config: RelayConfig,
            store: some ServedStore,
            configDirectory: String,
            configCache: RepositoryFileCache,
            logger: Logger
        ) async throws {
            logger.info(
                "Starting",
                metadata: [
                    "relay.repositories": "\(config.repositories.count)",
                    "relay.store": "\(config.settings.store)",
                    "relay.terrakube": "\(config.settings.terrakube.url)",
                ]
            )
            let host = config.settings.listen.host
            let group: ServiceGroup
            do {
                group = try buildServiceGroup(
                    config: config,
                    store: store,
                    logger: logger,
                    configDirectory: configDirectory,
                    configCache: configCache
                ) { port in
                    logger.info("Listening", metadata: ["relay.address": "\(host):\(port)"])
                }
            } catch {
                // Only the TLS files are read here; the config checked that they exist, not that they parse.
                logger.error("TLS certificate or key cannot be loaded", metadata: ["relay.error": "\(error)"])
                throw CommandFailure("TLS certificate or key cannot be loaded: \(error)")
            }
            do {
                try await group.run()
            } catch {
                // A service failed (the listener could not bind, say): the others were cancelled.
                logger.error("Stopped on an error", metadata: ["relay.error": "\(error)"])
                throw CommandFailure("\(error)")
            }
        }
    }
}
