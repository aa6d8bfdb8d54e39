import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PushRelayCore

/// Terrakube's REST API over AsyncHTTPClient: the only file that speaks HTTP to Terrakube.
package struct RESTTerrakubeAPI: TerrakubeAPI, TerrakubeDirectory, CustomStringConvertible, CustomReflectable {
    package let client: HTTPClient
    /// The API host, without `/api/v1`.
    package let baseURL: String
    /// A team token; sent as a bearer token, never logged.
    package let token: String
    package let timeout: Duration
    package let logger: Logger
    package let metrics: RelayMetrics?

    package init(
        client: HTTPClient,
        baseURL: String,
        token: String,
        timeout: Duration,
        logger: Logger,
        metrics: RelayMetrics? = nil
    ) {
        self.client = client
        self.baseURL = baseURL
        self.token = token
        self.timeout = timeout
        self.logger = logger
        self.metrics = metrics
    }

    /// Without the token: ServiceLifecycle logs the services it runs, and this is inside one of them.
    package var description: String { "RESTTerrakubeAPI(\(self.baseURL))" }
    package var customMirror: Mirror { Mirror(self, children: ["baseURL": self.baseURL]) }

    package func createJob(_ job: JobSpec) async throws(TerrakubeFailure) -> String {
        let path = TerrakubeJobDocument.path(organization: job.organization)
        let response = try await self.send(
            .POST,
            path: path,
            body: TerrakubeJobDocument(job).encoded(),
            operation: "create"
        )
        return try TerrakubeResponse.jobID(
            status: response.status,
            retryAfter: response.retryAfter,
            location: response.location,
            body: response.body
        )
    }

    package func findJobs(like job: JobSpec) async throws(TerrakubeFailure) -> [TerrakubeJobSummary] {
        // Percent-encode all but unreserved characters: the RSQL filter is full of `;`, `=`, `'` and brackets.
        let query = [("filter[job]", TerrakubeJobQuery.filter(for: job)), ("sort", "createdDate")]
            .map { Self.encode($0.0) + "=" + Self.encode($0.1) }
            .joined(separator: "&")
        let path = TerrakubeJobDocument.path(organization: job.organization) + "?" + query
        let response = try await self.send(.GET, path: path, body: nil, operation: "list")
        return try TerrakubeResponse.jobList(
            status: response.status,
            retryAfter: response.retryAfter,
            location: response.location,
            body: response.body
        )
    }

    package func jobs(ids: [String], organization: String) async throws(TerrakubeFailure) -> [TerrakubeJobSummary] {
        guard !ids.isEmpty else { return [] }
        // Only the state: the job's template (`tcl`) and output would make each answer kilobytes a job.
        let query = [
            ("filter[job]", TerrakubeJobQuery.filter(ids: ids)), ("fields[job]", "status"),
            ("page[size]", String(max(ids.count, 1))),
        ]
        let path = TerrakubeJobDocument.path(organization: organization) + "?" + Self.query(query)
        let response = try await self.send(.GET, path: path, body: nil, operation: "follow")
        return try TerrakubeResponse.jobList(
            status: response.status,
            retryAfter: response.retryAfter,
            location: response.location,
            body: response.body
        )
    }

    package func job(id: String, organization: String) async throws(TerrakubeFailure) -> TerrakubeJobSummary? {
        let path =
            TerrakubeJobDocument.path(organization: organization) + "/" + Self.encode(id) + "?"
            + Self.query([("fields[job]", "status")])
        let response = try await self.send(.GET, path: path, body: nil, operation: "follow")
        return try TerrakubeResponse.job(
            status: response.status,
            retryAfter: response.retryAfter,
            location: response.location,
            body: response.body
        )
    }

    private static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
    }

    package func organizationID(named name: String) async throws(TerrakubeFailure) -> String? {
        try await self.lookUp("/api/v1/organization", filter: ("filter[organization]", name))
    }

    package func workspaceID(named name: String, organization: String) async throws(TerrakubeFailure) -> String? {
        try await self.lookUp(Self.organizationPath(organization) + "/workspace", filter: ("filter[workspace]", name))
    }

    package func templateID(named name: String, organization: String) async throws(TerrakubeFailure) -> String? {
        try await self.lookUp(Self.organizationPath(organization) + "/template", filter: ("filter[template]", name))
    }

    private func lookUp(_ path: String, filter: (key: String, name: String)) async throws(TerrakubeFailure) -> String? {
        let value = "name==" + TerrakubeJobQuery.quote(filter.name)
        let response = try await self.send(
            .GET,
            path: path + "?" + Self.encode(filter.key) + "=" + Self.encode(value),
            body: nil,
            operation: "lookup"
        )
        return try TerrakubeResponse.firstID(
            status: response.status,
            retryAfter: response.retryAfter,
            location: response.location,
            body: response.body
        )
    }

    private static func organizationPath(_ organization: String) -> String {
        String(TerrakubeJobDocument.path(organization: organization).dropLast("/job".count))
    }

    private struct Answer: Sendable {
        var status: Int
        var retryAfter: String?
        var location: String?
        var body: [UInt8]
    }

    /// - Parameter operation: `create`, `list`, `lookup` or `follow`, for the metrics.
    private func send(
        _ method: HTTPMethod,
        path: String,
        body: [UInt8]?,
        operation: String
    ) async throws(TerrakubeFailure) -> Answer {
        var headers = [
            (name: "Authorization", value: "Bearer \(self.token)"),
            (name: "Accept", value: "application/vnd.api+json"),
        ]
        if body != nil { headers.append((name: "Content-Type", value: "application/vnd.api+json")) }
        let exchange = HTTPExchange(client: self.client, peer: "Terrakube", timeout: self.timeout, maxBody: 1 << 20)
        let start = ContinuousClock.now
        do {
            let answer = try await exchange.send(
                method,
                url: self.baseURL + path,
                headers: headers,
                body: body,
                logger: self.logger
            )
            self.metrics?.terrakubeRequest(operation: operation, status: answer.status, duration: .now - start)
            return Answer(
                status: answer.status,
                retryAfter: answer.headers.first(name: "Retry-After"),
                location: answer.headers.first(name: "Location"),
                body: answer.body
            )
        } catch {
            self.metrics?.terrakubeRequest(operation: operation, status: nil, duration: .now - start)
            // Only a request that may have been received can have created a job.
            throw .retryable(
                status: nil,
                reason: error.description,
                retryAfter: nil,
                outcomeUnknown: error.mayHaveBeenReceived && method == .POST
            )
        }
    }

    private static func encode(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
