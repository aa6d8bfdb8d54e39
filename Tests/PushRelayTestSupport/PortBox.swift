import Synchronization

/// Hands the port a server bound (port 0 picks a free one) from its start-up callback to the test.
package final class PortBox: Sendable {
    private struct State {
        var port: Int?
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    private let state = Mutex(State())

    package init() {}

    package func set(_ port: Int) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Int, Never>] in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    package func port() async -> Int {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
