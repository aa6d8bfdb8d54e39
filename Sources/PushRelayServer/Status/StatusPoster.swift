import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PushRelayCore

/// Posts the commit statuses of one Git host (items of kind `status.post/{host}`), in the host kind's
/// dialect, retrying what SPEC section 10 says to retry. The only file that speaks HTTP to Git hosts.
package struct StatusPoster: WorkHandler, CustomStringConvertible {
    package let host: String
    package let settings: StatusSettings.Host
    /// The link for hosts that demand one before there is a run (`terrakube.ui_url`).
    package let fallbackURL: String
    package let client: HTTPClient
    package var timeout: Duration = .seconds(10)
    package var retry = RetryPolicy(maxAttempts: 150)

    package var kind: WorkKind { StatusPostWork.kind(host: self.host) }

    package init(host: String, settings: StatusSettings.Host, fallbackURL: String, client: HTTPClient) {
        self.host = host
        self.settings = settings
        self.fallbackURL = fallbackURL
        self.client = client
    }

    /// Without the token.
    package var description: String { "StatusPoster(\(self.host), \(self.settings.kind.rawValue))" }

    package func perform(_ work: ClaimedWork, logger: Logger) async -> WorkOutcome {
        guard let item = try? StatusPostWork.decoded(work.payload) else {
            return .failed(status: nil, error: "the status post's payload cannot be read")
        }
        guard let token = self.settings.token else {
            return .failed(status: nil, error: "no token for \(self.host) (GitHub App tokens are not minted yet)")
        }
        let api = self.settings.kind.api
        let previous = StatusPostWork.state(inResult: work.result)
        let state = api.state(of: item.post, previous: previous)
        let result = StatusPostWork.result(state: state, description: item.post.status.description)
        // Already on the commit, as the last post left it.
        if work.result == result { return .done(result: result, label: "unchanged", detail: nil) }
        let request = api.request(
            item.post,
            apiURL: self.settings.apiURL,
            token: token,
            fallbackURL: self.fallbackURL,
            previous: previous
        )
        let answer: (status: Int, headers: HTTPHeaders, body: String)
        do {
            answer = try await self.send(request)
        } catch {
            return self.retrying(work, status: nil, reason: "\(self.host) did not answer: \(error)", after: nil)
        }
        let verdict = StatusAnswer.classify(
            status: answer.status,
            header: { answer.headers.first(name: $0) },
            body: answer.body,
            kind: self.settings.kind,
            now: Date()
        )
        switch verdict {
        case .posted:
            return .done(result: result, label: "posted", detail: "\(state): HTTP \(answer.status)")
        case .retry(let after, let reason):
            return self.retrying(work, status: answer.status, reason: reason, after: after)
        case .refused(let reason):
            return .failed(status: answer.status, error: reason)
        }
    }

    private func retrying(_ work: ClaimedWork, status: Int?, reason: String, after: Duration?) -> WorkOutcome {
        let attempt = work.attempts + 1
        guard attempt < self.retry.maxAttempts else {
            return .failed(status: status, error: "gave up after \(attempt) attempts; last: \(reason)")
        }
        let delay = after ?? self.retry.delay(afterAttempts: attempt, retryAfter: nil)
        return .retry(status: status, error: reason, after: delay, outcomeUnknown: false)
    }

    private func send(_ request: StatusRequest) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        outgoing.headers.add(name: "User-Agent", value: "pushrelay")
        outgoing.body = .bytes(request.body)
        let client = self.client
        let timeout = TimeAmount.nanoseconds(Int64(self.timeout.seconds * 1e9))
        // One deadline for the whole exchange, body included, as for Terrakube.
        return try await withDeadline(self.timeout) { [outgoing] in
            let response = try await client.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 << 10)
            return (Int(response.status.code), response.headers, String(buffer: body))
        }
    }
}
