import Logging
import NIOSSL
import PostgresNIO
import PushRelayCore

/// One connection before the pool starts, so that `serve` and the `deliveries` commands fail at once with
/// the reason (authentication, TLS, a database that does not exist) instead of waiting for a pool that
/// retries a connection it can never make. A server that is not up yet is waited for.
enum PostgresConnectionCheck {
    /// - Throws: ``PostgresFailure`` for a failure that will not pass by itself, or the last transient one
    ///   once `within` has passed.
    static func run(_ settings: PostgresSettings, within limit: Duration, logger: Logger) async throws {
        let tls: PostgresConnection.Configuration.TLS =
            try PostgresDeliveryStore.tlsConfiguration(settings).map { .require(try NIOSSLContext(configuration: $0)) }
            ?? .disable
        var configuration = PostgresConnection.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.user,
            password: settings.password,
            database: settings.database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        let deadline = ContinuousClock.now + limit
        while true {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration,
                    id: 0,
                    logger: logger
                )
                try? await connection.close()
                return
            } catch let error as PSQLError {
                let failure = PostgresFailure(error)
                guard failure.transient, ContinuousClock.now < deadline else { throw failure }
                logger.warning(
                    "PostgreSQL not reachable yet; trying again",
                    metadata: ["relay.error": "\(failure)"]
                )
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
