import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PushRelayCore

/// One request and its answer under one deadline for the whole exchange, the body included: every call
/// PushRelay makes (to Terrakube and to the Git hosts) goes through here. AsyncHTTPClient's own timeout
/// ends with the head; a body trickled a byte at a time would otherwise hold the call for minutes.
package struct HTTPExchange: Sendable {
    package struct Answer: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]

        package var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    /// Why an exchange brought no answer, in words an operator can act on (no URL, no token).
    package enum TransportFailure: Error, Equatable, CustomStringConvertible {
        /// No connection was made (refused, or the connect timed out): the request was not sent.
        case notConnected(String)
        /// No answer in time, or the connection ended before it: the request may have been acted on.
        case noAnswer(String)

        /// Whether the other side may have received the request and acted on it.
        package var mayHaveBeenReceived: Bool {
            if case .noAnswer = self { return true }
            return false
        }

        package var description: String {
            switch self {
            case .notConnected(let reason), .noAnswer(let reason): reason
            }
        }

        /// What `error`, thrown while exchanging with `peer`, says happened; read from its type, not its text.
        package init(_ error: any Error, peer: String) {
            let refused = "cannot connect to \(peer) (connection refused)"
            let slow = "\(peer) did not answer in time"
            if error is NIOConnectionError {
                self = .notConnected(refused)
            } else if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
                self = .notConnected(refused)
            } else if let error = error as? ChannelError, case .connectTimeout = error {
                self = .notConnected("connection to \(peer) timed out")
            } else if error is DeadlineExceeded {
                self = .noAnswer(slow)
            } else if let error = error as? HTTPClientError {
                switch error {
                case .connectTimeout: self = .notConnected("connection to \(peer) timed out")
                case .deadlineExceeded, .readTimeout: self = .noAnswer(slow)
                default: self = .noAnswer("HTTP client error: \(error.shortDescription)")
                }
            } else {
                self = .noAnswer("cannot reach \(peer): \(type(of: error))")
            }
        }
    }

    package let client: HTTPClient
    package var timeout: Duration
    /// Who answers, as failures name it (`Terrakube`, `github.com`).
    package var peer: String
    /// The most of an answer's body read; the rest is dropped.
    package var maxBody: Int

    package init(client: HTTPClient, peer: String, timeout: Duration = .seconds(10), maxBody: Int = 64 << 10) {
        self.client = client
        self.peer = peer
        self.timeout = timeout
        self.maxBody = maxBody
    }

    package func send(
        _ method: HTTPMethod,
        url: String,
        headers: [(name: String, value: String)],
        body: [UInt8]? = nil,
        logger: Logger? = nil
    ) async throws(TransportFailure) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "User-Agent", value: "pushrelay")
        if let body, !body.isEmpty { request.body = .bytes(body) }
        let (client, maxBody) = (self.client, self.maxBody)
        let timeout = TimeAmount.nanoseconds(Int64(self.timeout.seconds * 1e9))
        do {
            return try await withDeadline(self.timeout) { [request] in
                let response =
                    if let logger {
                        try await client.execute(request, timeout: timeout, logger: logger)
                    } else {
                        try await client.execute(request, timeout: timeout)
                    }
                // Always drained, bounded: the connection is held until the body is read.
                let bytes = try await response.body.collect(upTo: maxBody)
                return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: bytes))
            }
        } catch {
            throw TransportFailure(error, peer: self.peer)
        }
    }
}
