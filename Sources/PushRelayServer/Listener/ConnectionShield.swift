import NIOCore
import PushRelayCore
import Synchronization

/// Every open connection and whether a request is in progress on it, so that at `max_connections` a
/// new connection can take the place of the oldest one that has none (still dribbling its head, or idle
/// between requests), else of the slowest body under the rate floor since its head (the grace period does
/// not hold at the limit).
/// A complete request then wins over clients that only hold a slot; a body arriving at a real upload's
/// rate is never shed.
final class ConnectionShield: Sendable {
    private struct Entry {
        let channel: any Channel
        /// Since when the connection has had no request in progress (`nil` while one is).
        var waitingSince: ContinuousClock.Instant?
        /// The request in progress: since its head, and its body's bytes so far.
        var request: (since: ContinuousClock.Instant, bytes: Int)?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let limits: ServiceSettings.Limits

    init(limits: ServiceSettings.Limits = ServiceSettings.Limits()) {
        self.limits = limits
    }

    func opened(_ channel: any Channel) {
        self.entries.withLock { $0[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: .now) }
    }

    /// A request's head has arrived: the connection is doing work, and is shed only if its body is too slow.
    func requestStarted(_ channel: any Channel) {
        self.entries.withLock {
            $0[ObjectIdentifier(channel)]?.waitingSince = nil
            $0[ObjectIdentifier(channel)]?.request = (.now, 0)
        }
    }

    /// Bytes of the request's body arrived.
    func bodyRead(_ channel: any Channel, bytes: Int) {
        self.entries.withLock { $0[ObjectIdentifier(channel)]?.request?.bytes += bytes }
    }

    /// Whether the request in progress on `channel` has a body under the floor, past the grace period.
    func bodyTooSlow(_ channel: any Channel) -> Bool {
        let now = ContinuousClock.now
        return self.entries.withLock { entries in
            guard let request = entries[ObjectIdentifier(channel)]?.request else { return false }
            return self.limits.bodyTooSlow(bytes: request.bytes, elapsed: (now - request.since).seconds)
        }
    }

    /// The response has been written: until the next head, the connection holds a slot for nothing.
    func requestFinished(_ channel: any Channel) {
        self.entries.withLock {
            $0[ObjectIdentifier(channel)]?.waitingSince = .now
            $0[ObjectIdentifier(channel)]?.request = nil
        }
    }

    func closed(_ channel: any Channel) {
        _ = self.entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes the connection that has waited longest (half a second or more) without a request in
    /// progress, else the one whose body is slowest under the floor.
    /// - Returns: whether there was one.
    func shedOne() -> Bool {
        let now = ContinuousClock.now
        let shed: (any Channel)? = self.entries.withLock { entries in
            // A connection that has just been accepted is most likely a real client whose head is on its way:
            // only one that has waited half a second without a request in progress gives way.
            let waiting = entries.filter { $0.value.waitingSince.map { now - $0 > .milliseconds(500) } ?? false }
                .min { $0.value.waitingSince! < $1.value.waitingSince! }
            let slow = entries.compactMap { key, entry -> (ObjectIdentifier, Double)? in
                guard let request = entry.request else { return nil }
                let elapsed = (now - request.since).seconds
                // At the limit the grace period is a quarter of a second: a body under the floor since its
                // head gives way to a new connection (a real delivery's body comes with its head, or at
                // once after).
                guard self.limits.bodyTooSlow(bytes: request.bytes, elapsed: elapsed, grace: 0.25) else { return nil }
                return (key, Double(request.bytes) / max(elapsed, 0.001))
            }.min { $0.1 < $1.1 }
            guard let key = waiting?.key ?? slow?.0, let entry = entries[key] else { return nil }
            // Not shed twice while its close is under way.
            entries[key]?.waitingSince = nil
            entries[key]?.request = nil
            return entry.channel
        }
        shed?.close(promise: nil)
        return shed != nil
    }
}
