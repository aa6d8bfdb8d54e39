import HummingbirdCore
import Logging

/// `limits.max_connections`, enforced as Hummingbird's `MaximumAvailableConnections` does, except that at
/// the limit the connection that has waited longest without a request in progress is closed to make room
/// (``ConnectionShield``), rather than leaving every new client in the listen backlog while dribbling
/// ones hold the slots. The new connection is accepted once that close has completed.
struct SheddingConnections: AvailableConnectionsDelegate {
    let maxConnections: Int
    let shield: ConnectionShield
    let logger: Logger
    private var count = 0

    init(_ maxConnections: Int, shield: ConnectionShield, logger: Logger) {
        self.maxConnections = maxConnections
        self.shield = shield
        self.logger = logger
    }

    mutating func connectionOpened() { self.count += 1 }

    mutating func connectionClosed() { self.count -= 1 }

    func isAcceptingNewConnections() -> Bool {
        guard self.count >= self.maxConnections else { return true }
        if self.shield.shedOne() {
            self.logger.debug("At the connection limit: closed a connection waiting for a request, or a body too slow")
        }
        return false
    }
}
