import Logging
import PushRelayCore
import PushRelayStore
import ServiceLifecycle

/// Keeps this process's claims alive and takes over those of processes that stopped renewing theirs:
/// every `interval` (a third of the lease, so that two renewals can fail before a lease runs out) it
/// renews every lease `owner` holds with one statement, then rescues every expired lease in the store.
/// Any number of processes run it at once; each rescue is one fenced statement.
package struct QueueUpkeep<Queue: WorkQueue>: Service {
    package let queue: Queue
    package let owner: String
    package let lease: Duration
    package let wake: DispatchWakeUp
    package let logger: Logger
    package var interval: Duration

    package init(queue: Queue, owner: String, lease: Duration, wake: DispatchWakeUp, logger: Logger) {
        self.queue = queue
        self.owner = owner
        self.lease = lease
        self.wake = wake
        self.logger = logger
        self.interval = min(max(lease / 3, .milliseconds(100)), .seconds(10))
    }

    package func run() async throws {
        await repeatUntilShutdown {
            do {
                try await self.queue.renewLeases(owner: self.owner, lease: self.lease)
                let rescued = try await self.queue.rescueExpiredLeases()
                if rescued > 0 {
                    self.logger.warning(
                        "Resuming work interrupted by a stop; a Terrakube job is looked up before it is sent again",
                        metadata: ["relay.work": "\(rescued)"]
                    )
                    self.wake.signal()
                }
            } catch {
                self.logger.warning("Store unavailable to lease upkeep", metadata: ["relay.error": "\(error)"])
            }
            return self.interval
        }
    }
}
