import NIOCore
import Synchronization

/// Every open connection and whether a request is in progress on it, so that at `max_connections` a
/// new connection can take the place of the oldest one that has none: still dribbling its head, or idle
/// between requests. A complete request then wins over clients that only hold a slot; connections in the
/// middle of a request are never shed (the read deadline bounds them).
final class ConnectionShield: Sendable {
    private struct Entry {
        let channel: any Channel
        /// Since when the connection has had no request in progress (`nil` while one is).
        var waitingSince: ContinuousClock.Instant?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    func opened(_ channel: any Channel) {
        self.entries.withLock { $0[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: .now) }
    }

    /// A request's head has arrived: the connection is doing work and is not shed.
    func requestStarted(_ channel: any Channel) {
        self.entries.withLock { $0[ObjectIdentifier(channel)]?.waitingSince = nil }
    }

    /// The response has been written: until the next head, the connection holds a slot for nothing.
    func requestFinished(_ channel: any Channel) {
        self.entries.withLock { $0[ObjectIdentifier(channel)]?.waitingSince = .now }
    }

    func closed(_ channel: any Channel) {
        _ = self.entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes the connection that has waited longest without a request in progress.
    /// - Returns: whether there was one.
    func shedOldestWaiting() -> Bool {
        let oldest: (any Channel)? = self.entries.withLock { entries in
            guard
                let (key, entry) = entries.filter({ $0.value.waitingSince != nil })
                    .min(by: { $0.value.waitingSince! < $1.value.waitingSince! })
            else { return nil }
            // Not shed twice while its close is under way.
            entries[key]?.waitingSince = nil
            return entry.channel
        }
        oldest?.close(promise: nil)
        return oldest != nil
    }
}
