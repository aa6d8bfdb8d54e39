import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The client PushRelay talks to Terrakube with: a 5 s connect timeout, the configured read timeout,
    /// no redirects (a `301` would turn the job's POST into a GET elsewhere, a `307` would send the job and
    /// its token to another origin), and no retrying of refused connections inside the client (the
    /// dispatcher has its own backoff, and a retry loop inside the client would also hold up shutdown).
    package static func forTerrakube(requestTimeoutSeconds: Double) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(Int64(requestTimeoutSeconds.rounded(.up))))
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
