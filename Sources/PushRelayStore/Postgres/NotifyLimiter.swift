import Synchronization

/// Lets one event through per `interval`: the NOTIFY that wakes other replicas is a hint, and they poll
/// anyway, so one per window wakes them as well as one per delivery.
final class NotifyLimiter: Sendable {
    private let interval: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(interval: Duration) {
        self.interval = interval
    }

    /// Whether to send now; `true` at most once per interval.
    func allow() -> Bool {
        let now = ContinuousClock.now
        return self.last.withLock { last in
            if let last, now - last < self.interval { return false }
            last = now
            return true
        }
    }
}
