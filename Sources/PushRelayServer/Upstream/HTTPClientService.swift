import AsyncHTTPClient
import ServiceLifecycle

/// Owns the HTTP client for the life of `serve` and shuts it down after the services that use it.
package struct HTTPClientService: Service {
    package let client: HTTPClient

    package init(client: HTTPClient) {
        self.client = client
    }

    package func run() async throws {
        // Wait for shutdown; `try?` because graceful shutdown arrives as a CancellationError here.
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}
