import Synchronization

/// A one-shot result slot that a waiter may reach before or after it is filled.
final class Ticket<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, any Error>)
        case filled(Result<Value, any Error>)
    }

    private let state = Mutex<State>(.empty)

    func fill(_ result: Result<Value, any Error>) {
        let waiter: CheckedContinuation<Value, any Error>? = self.state.withLock { state in
            switch state {
            case .waiting(let continuation):
                state = .filled(result)
                return continuation
            case .empty, .filled:
                state = .filled(result)
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Value, any Error>? = self.state.withLock { state in
                if case .filled(let result) = state { return result }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
