import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PushRelayCore

/// One request to a Git host's API and its answer, under one deadline for the whole exchange (body
/// included), as for Terrakube. Every call PushRelay makes to a Git host goes through here.
package struct HostExchange: Sendable {
    package struct Answer: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]

        package var text: String { String(decoding: self.body, as: UTF8.self) }

        /// What the answer means for a post or a token (`StatusAnswer.classify`).
        package func verdict(_ kind: StatusHostKind) -> StatusAnswer {
            StatusAnswer.classify(
                status: self.status,
                header: { self.headers.first(name: $0) },
                body: self.text,
                kind: kind,
                now: Date()
            )
        }
    }

    package let client: HTTPClient
    package var timeout: Duration

    package init(client: HTTPClient, timeout: Duration = .seconds(10)) {
        self.client = client
        self.timeout = timeout
    }

    package func send(_ request: StatusRequest) async throws -> Answer {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        outgoing.headers.add(name: "User-Agent", value: "pushrelay")
        if !request.body.isEmpty { outgoing.body = .bytes(request.body) }
        let client = self.client
        let timeout = TimeAmount.nanoseconds(Int64(self.timeout.seconds * 1e9))
        return try await withDeadline(self.timeout) { [outgoing] in
            let response = try await client.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 << 10)
            return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: body))
        }
    }
}
