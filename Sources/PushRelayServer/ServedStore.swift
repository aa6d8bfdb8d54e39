import Logging
import PushRelayCore
import PushRelayStore
import ServiceLifecycle

/// A store as `serve` runs it: its contracts, and the background work of its own that runs beside the
/// listener and the dispatcher.
package protocol ServedStore: DeliveryStore {
    func services(wake: DispatchWakeUp, logger: Logger) -> [any Service]
}

extension SQLiteDeliveryStore: ServedStore {
    /// WAL checkpoints, off the accept path.
    package func services(wake: DispatchWakeUp, logger: Logger) -> [any Service] {
        [self.maintenance(logger: logger)]
    }
}

extension PostgresDeliveryStore: ServedStore {
    /// The LISTEN connection that wakes the dispatcher when another replica queues jobs.
    package func services(wake: DispatchWakeUp, logger: Logger) -> [any Service] {
        self.settings.notify ? [self.wakeListener { wake.signal() }] : []
    }
}
