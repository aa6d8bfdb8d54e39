/// Runs `operation` for at most `timeout`, then cancels it and throws ``DeadlineExceeded``. One deadline
/// for a whole exchange, where a client's own timeouts cover only a part of it (postgres-nio's pool waits
/// for a connection forever; AsyncHTTPClient's deadline ends with the response head, not its body).
package func withDeadline<T: Sendable>(
    _ timeout: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        // The first task to finish: the operation's result (even an optional's `nil` is wrapped), or the timer's `nil`.
        guard let first = try await group.next(), let result = first else { throw DeadlineExceeded(after: timeout) }
        return result
    }
}

/// The operation given to ``withDeadline(_:_:)`` did not finish in time.
package struct DeadlineExceeded: Error, Equatable {
    package var after: Duration
}
