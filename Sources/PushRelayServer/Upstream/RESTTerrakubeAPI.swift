import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PushRelayCore

/// Terrakube's REST API over AsyncHTTPClient: the only file that speaks HTTP to Terrakube.
package struct RESTTerrakubeAPI: TerrakubeAPI {
    package let client: HTTPClient
    /// The API host, without `/api/v1`.
    package let baseURL: String
    /// A team token; sent as a bearer token, never logged.
    package let token: String
    package let timeout: Duration
    package let logger: Logger

    package init(client: HTTPClient, baseURL: String, token: String, timeout: Duration, logger: Logger) {
        self.client = client
        self.baseURL = baseURL
        self.token = token
        self.timeout = timeout
        self.logger = logger
    }

    package func createJob(_ job: JobSpec) async throws(TerrakubeFailure) -> String {
        var request = HTTPClientRequest(url: self.baseURL + TerrakubeJobDocument.path(organization: job.organization))
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(self.token)")
        request.headers.add(name: "Content-Type", value: "application/vnd.api+json")
        request.headers.add(name: "Accept", value: "application/vnd.api+json")
        request.headers.add(name: "User-Agent", value: "pushrelay")
        request.body = .bytes(TerrakubeJobDocument(job).encoded())

        let status: Int
        let headers: HTTPHeaders
        let body: ByteBuffer
        do {
            let response = try await self.client.execute(
                request,
                timeout: .nanoseconds(Int64(self.timeout.seconds * 1e9)),
                logger: self.logger
            )
            status = Int(response.status.code)
            headers = response.headers
            // Always drain the body, bounded: the connection is held until it is read.
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw .retryable(status: nil, reason: Self.describe(error), retryAfter: nil)
        }
        return try TerrakubeResponse.jobID(
            status: status,
            retryAfter: headers.first(name: "Retry-After"),
            body: Array(buffer: body)
        )
    }

    /// A transport error in words an operator can act on, without URLs or tokens.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "Terrakube did not answer in time"
            case .connectTimeout: return "connection to Terrakube timed out"
            default: return "HTTP client error: \(error.shortDescription)"
            }
        }
        if "\(error)".lowercased().contains("connection refused") {
            return "cannot connect to Terrakube"
        }
        return "cannot reach Terrakube: \(type(of: error))"
    }
}
