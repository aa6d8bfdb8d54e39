import Foundation
import Logging
import PushRelayCore
import PushRelayStore
import ServiceLifecycle

/// Prunes deliveries older than `store.retention_days` (and their jobs and attempts) once their jobs are
/// done: at start, then every `interval`, in batches of ``batch`` with a pause between them, so that a
/// webhook never waits behind more than one batch. Any number of replicas may run it at once.
struct RetentionSweeper: Service {
    let store: any DeliveryPruner
    let config: ConfigHolder
    let logger: Logger
    var interval: Duration = .seconds(600)
    static let batch = 500

    func run() async throws {
        await repeatUntilShutdown {
            await self.sweep()
            return self.interval
        }
    }

    /// One pass: batch after batch until fewer than a full batch is left.
    func sweep() async {
        // Read each pass: a reload may change it.
        let days = self.config.config.settings.retentionDays
        let cutoff = Date(timeIntervalSinceNow: -Double(days) * 86_400)
        var pruned = 0
        do {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let deleted = try await self.store.pruneDeliveries(receivedBefore: cutoff, limit: Self.batch)
                pruned += deleted
                guard deleted == Self.batch else { break }
                // Webhooks first: the writer takes them between batches.
                try await Task.sleep(for: .milliseconds(20))
            }
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let deleted = try await self.store.pruneDocuments(writtenBefore: cutoff, limit: Self.batch)
                guard deleted == Self.batch else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        } catch {
            self.logger.warning(
                "Pruning old deliveries failed; trying again at the next pass",
                metadata: ["relay.error": "\(error)"]
            )
        }
        if pruned > 0 {
            self.logger.info(
                "Pruned old deliveries",
                metadata: ["relay.pruned": "\(pruned)", "relay.retention_days": "\(days)"]
            )
        }
    }
}
