import PushRelayCore
import Synchronization

/// The config in force, swapped whole (never edited in place) so a request sees one consistent version.
package final class ConfigHolder: Sendable {
    private let current: Mutex<RelayConfig>

    package init(_ config: RelayConfig) {
        self.current = Mutex(config)
    }

    package var config: RelayConfig {
        self.current.withLock { $0 }
    }

    package func replace(with config: RelayConfig) {
        self.current.withLock { $0 = config }
    }
}
