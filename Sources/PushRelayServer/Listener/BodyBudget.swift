import PushRelayCore
import Synchronization

/// The request bytes all connections may hold in memory at once (`limits.max_buffered_bytes`), taken as
/// a body is read and given back once its request is answered. A body counts twice: once as read, once
/// as the copy the store writes. What a large body reads past its first
/// ``ServiceSettings/Limits/smallBodyBytes`` may not take the budget's last eighth, so that clients
/// holding large bodies open cannot starve ordinary deliveries.
final class BodyBudget: Sendable {
    private struct State {
        var used = 0
        var usedByLarge = 0
    }

    private let state = Mutex(State())
    let total: Int
    private let largeShare: Int

    init(total: Int) {
        self.total = total
        self.largeShare = ServiceSettings.Limits.largeBodyShare(of: total)
    }

    /// Takes room for `bytes` more of one body, `large` when they lie past its first small part;
    /// `false`, taking nothing, when they do not fit.
    func take(_ bytes: Int, large: Bool) -> Bool {
        let cost = bytes * 2
        return self.state.withLock { state in
            guard state.used + cost <= self.total else { return false }
            if large {
                guard state.usedByLarge + cost <= self.largeShare else { return false }
                state.usedByLarge += cost
            }
            state.used += cost
            return true
        }
    }

    /// Gives back what ``take(_:large:)`` took for one body: `small` and `large` bytes.
    func giveBack(small: Int, large: Int) {
        self.state.withLock { state in
            state.used -= (small + large) * 2
            state.usedByLarge -= large * 2
        }
    }

    /// Bytes held now, as counted (twice each), for the metrics.
    var used: Int { self.state.withLock { $0.used } }
}
