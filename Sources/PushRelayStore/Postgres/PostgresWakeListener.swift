import Logging
import PostgresNIO
import ServiceLifecycle

/// LISTENs for the NOTIFY that a replica sends when it queues jobs, and wakes this replica's dispatcher:
/// a latency hint only, since every dispatcher also polls. The connection is held from the pool (its size
/// plus this one is what a replica opens); after any failure it reconnects with backoff and listens again,
/// and wakes the dispatcher once, for whatever it may have missed meanwhile.
struct PostgresWakeListener: Service {
    let client: PostgresClient
    let channel: String
    let logger: Logger
    let wake: @Sendable () -> Void

    func run() async throws {
        var backoff = Duration.milliseconds(250)
        await repeatUntilShutdown {
            let started = ContinuousClock.now
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.client.withConnection { connection in
                        try await connection.listen(on: self.channel) { notifications in
                            self.wake()
                            for try await _ in notifications { self.wake() }
                        }
                    }
                }
            } catch {
                guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return .zero }
                self.logger.debug(
                    "LISTEN connection lost; polling until it is back",
                    metadata: ["relay.error": "\(PostgresFailure.wrapping(error))"]
                )
            }
            // A connection that held a while was a good one: start the backoff over.
            if ContinuousClock.now - started > .seconds(30) { backoff = .milliseconds(250) }
            defer { backoff = min(backoff * 2, .seconds(30)) }
            return backoff
        }
    }
}
