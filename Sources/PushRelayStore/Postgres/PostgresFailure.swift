import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// A PostgreSQL error as an operator can act on it. postgres-nio describes every `PSQLError` with the
/// same generic text, so that nothing leaks by accident; this keeps the parts that say what went wrong
/// (the server's SQLSTATE and message, the TLS or socket error) and nothing else: no query, no binds,
/// no password.
package struct PostgresFailure: Error, CustomStringConvertible {
    package let description: String
    /// Worth trying again: the server is not there yet, is starting up, or is full.
    package let transient: Bool

    init(_ error: PSQLError) {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?"
            let message = error.serverInfo?[.message] ?? "no message"
            self.description = "PostgreSQL answered: \(message) (SQLSTATE \(state))"
            // 57P03 cannot_connect_now (starting up, shutting down), 53300 too_many_connections.
            self.transient = state == "57P03" || state == "53300"
        case .sslUnsupported:
            self.description = "the server does not offer TLS, and the URL's sslmode requires it"
            self.transient = false
        case .connectionError:
            let underlying = error.underlying.map { "\($0)" } ?? "unknown"
            if error.underlying is NIOSSLError || error.underlying is BoringSSLError
                || error.underlying is NIOSSLExtraError
            {
                self.description = "TLS with the server failed: \(underlying)"
                self.transient = false
            } else {
                self.description = "cannot connect to PostgreSQL: \(underlying)"
                self.transient = true
            }
        case .serverClosedConnection, .uncleanShutdown:
            self.description = "PostgreSQL closed the connection"
            self.transient = true
        default:
            self.description = "PostgreSQL connection failed (\(error.code))"
            self.transient = false
        }
    }

    /// `error` described, when it is one of postgres-nio's; otherwise `error` itself. A failed transaction
    /// gives what went wrong inside it (a newer schema, a failed statement), not the transaction's wrapping.
    static func wrapping(_ error: any Error) -> any Error {
        let inner = (error as? PostgresTransactionError).map { $0.closureError ?? $0 } ?? error
        return (inner as? PSQLError).map(PostgresFailure.init) ?? inner
    }
}
