import Logging
import PostgresNIO
import PushRelayCore

/// postgres-nio's pool waits for a connection as long as it takes: with the database down, a query would
/// wait forever. Every statement of the store has a deadline instead, so that a webhook is answered 503
/// (and `/readyz` 503) within it.
extension PostgresDeliveryStore {
    /// Runs one statement and reads its rows, or fails with ``StoreTimeout`` after `operationTimeout`.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await Self.rows(query, client: self.client, logger: self.logger)
    }

    static func rows(_ query: PostgresQuery, client: PostgresClient, logger: Logger) async throws -> [PostgresRow] {
        try await Self.withDeadline(self.operationTimeout) {
            do {
                return try await client.query(query, logger: logger).collect()
            } catch {
                throw PostgresFailure.wrapping(error)
            }
        }
    }

    /// `operation`'s result, or ``StoreTimeout`` once `timeout` has passed (the operation is cancelled).
    static func withDeadline<T: Sendable>(
        _ timeout: Duration,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            return try await PushRelayCore.withDeadline(timeout, operation)
        } catch is DeadlineExceeded {
            throw StoreTimeout(after: timeout)
        }
    }
}

/// The database did not answer in time (down, unreachable, or every connection busy).
package struct StoreTimeout: Error, CustomStringConvertible {
    package var after: Duration

    package var description: String { "the database did not answer within \(self.after)" }
}
