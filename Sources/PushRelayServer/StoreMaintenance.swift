import Logging
import PushRelayCore
import ServiceLifecycle

/// Runs the store's housekeeping (a WAL checkpoint for SQLite) every `interval` until shutdown.
package struct StoreMaintenance<Store: DeliveryStore>: Service {
    package let store: Store
    package let logger: Logger
    package var interval: Duration = .seconds(1)

    package init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    package func run() async throws {
        // Cancelled (the group stops because another service failed) as well as shut down gracefully:
        // a cancelled sleep returns at once, so a loop that missed it would spin.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await self.store.maintain()
            } catch {
                self.logger.warning("Store maintenance failed", metadata: ["relay.error": "\(error)"])
            }
            let interval = self.interval
            // Ends early on graceful shutdown; `try?` drops the CancellationError that brings.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
