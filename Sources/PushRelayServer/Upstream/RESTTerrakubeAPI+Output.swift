import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PushRelayCore

/// A step's console output as read back: its first bytes (what a `full` comment shows) and its last (where
/// the summary line is), never the whole in memory.
package struct StepOutput: Sendable, Equatable {
    package var head: String
    package var tail: String
    /// How many bytes the output had: more than the head holds means it was cut.
    package var bytes: Int
}

/// What the plan comment reads of a Terrakube job (SPEC section 13).
package protocol PlanOutputSource: Sendable {
    /// Each step's output, in step order: `GET …/job/{id}?include=step`, then each step's `output` URL on
    /// Terrakube's API host (never elsewhere: it is read with the token).
    func stepOutputs(jobID: String, organization: String) async throws(TerrakubeFailure) -> [StepOutput]
}

extension RESTTerrakubeAPI: PlanOutputSource {
    /// Kept of each step's output: the first MiB and the last 64 KiB; the rest is counted, not kept.
    static let outputHead = 1 << 20
    static let outputTail = 64 << 10

    package func stepOutputs(jobID: String, organization: String) async throws(TerrakubeFailure) -> [StepOutput] {
        let url =
            self.baseURL + TerrakubeJobDocument.path(organization: organization) + "/"
            + (jobID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? jobID) + "?include=step"
        let answer = try await self.read(url, head: 4 << 20, tail: 0)
        guard (200...299).contains(answer.status) else {
            throw answer.status == 429 || answer.status >= 500
                ? .retryable(status: answer.status, reason: "Terrakube answered HTTP \(answer.status)", retryAfter: nil)
                : .permanent(status: answer.status, detail: "Terrakube answered HTTP \(answer.status)")
        }
        var outputs: [StepOutput] = []
        for step in TerrakubeResponse.steps(in: Array(answer.head.utf8)) {
            guard let link = step.output, HTTPExchange.sameOrigin(link, as: self.baseURL) != nil else { continue }
            let read = try await self.read(link, head: Self.outputHead, tail: Self.outputTail)
            guard (200...299).contains(read.status) else { continue }
            outputs.append(StepOutput(head: read.head, tail: read.tail, bytes: read.bytes))
        }
        return outputs
    }

    /// A `GET` with the token whose body is read through: its first `head` bytes and last `tail` kept.
    private func read(
        _ url: String,
        head: Int,
        tail: Int
    ) async throws(TerrakubeFailure) -> (status: Int, head: String, tail: String, bytes: Int) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(self.token)")
        request.headers.add(name: "User-Agent", value: "pushrelay")
        let client = self.client
        let timeout = self.timeout
        do {
            return try await withDeadline(timeout) { [request] in
                let response = try await client.execute(
                    request,
                    timeout: .nanoseconds(Int64(timeout.seconds * 1e9))
                )
                var first: [UInt8] = []
                var last: [UInt8] = []
                var bytes = 0
                for try await chunk in response.body {
                    bytes += chunk.readableBytes
                    let view = chunk.readableBytesView
                    let room = head - first.count
                    if room > 0 { first += view.prefix(room) }
                    if tail > 0 {
                        last += view.suffix(tail)
                        if last.count > tail { last.removeFirst(last.count - tail) }
                    }
                }
                return (
                    Int(response.status.code), String(decoding: first, as: UTF8.self),
                    String(decoding: last, as: UTF8.self), bytes
                )
            }
        } catch {
            let failure = HTTPExchange.TransportFailure(error, peer: "Terrakube")
            throw .retryable(status: nil, reason: failure.description, retryAfter: nil)
        }
    }
}
