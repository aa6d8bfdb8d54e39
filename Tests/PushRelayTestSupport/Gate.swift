import Synchronization

/// A one-way gate: tasks that wait on it are held until it is opened, and pass at once after.
package final class Gate: Sendable {
    private enum State {
        case closed([CheckedContinuation<Void, Never>])
        case open
    }

    private let state = Mutex(State.closed([]))

    package init() {}

    package func open() {
        let waiting = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard case .closed(let waiting) = state else { return [] }
            state = .open
            return waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    package func wait() async {
        await withCheckedContinuation { continuation in
            let passes = self.state.withLock { state -> Bool in
                guard case .closed(var waiting) = state else { return true }
                waiting.append(continuation)
                state = .closed(waiting)
                return false
            }
            if passes { continuation.resume() }
        }
    }
}
