import Foundation
import NIOHTTP1
import PushRelayCore
import Synchronization

/// Redelivery (SPEC section 12): lists the recent deliveries of the hooks whose URL starts with
/// `recovery.redeliver_url` and asks the host to send again each that failed and never succeeded. The
/// resent delivery comes back through the listener with its own id, so a delivery is still acted on once.
package struct Redeliverer: Sendable {
    /// How a pass ended.
    package enum Outcome: Sendable, Equatable {
        /// The events whose resend was asked for (or, in a dry run, would be).
        case asked([String])
        /// The hooks or their deliveries cannot be listed with these credentials: a setup to fix.
        case cannotList(String)
        case rateLimited(Duration)
        case failed(String)
    }

    /// A page of deliveries holds 100; at most this many pages are read of one hook in a pass.
    static let maxPages = 10

    var kind: GitHostKind
    var apiURL: String
    var prefix: String
    var exchange: HTTPExchange
    var dryRun: Bool
    /// When each hook's last complete pass started, so that the next reads only back to it.
    var memory: RedeliveryMemory
    /// How far before the last pass the next one still reads.
    var margin: Duration

    fileprivate struct Stop: Error {
        var outcome: Outcome
    }

    /// A pass over `repository`'s hooks, with a token that may read them.
    func repository(_ repository: String, token: APIToken) async -> Outcome {
        guard
            let request = Redelivery.hooksRequest(
                kind: self.kind,
                repository: repository,
                apiURL: self.apiURL,
                token: token
            )
        else { return .asked([]) }
        do throws(Stop) {
            let answer = try await self.send(request, listing: "the repository's hooks")
            guard let hooks = Redelivery.hooks(kind: self.kind, in: answer.body, startingWith: self.prefix) else {
                return .failed("the host's list of hooks is not understood")
            }
            var asked: [String] = []
            for hook in hooks {
                asked += try await self.pass(
                    .repository(repository, hook: hook),
                    key: "\(repository)#\(hook)",
                    headers: Redelivery.headers(kind: self.kind, token: token)
                )
            }
            return .asked(asked)
        } catch {
            return error.outcome
        }
    }

    /// A pass over a GitHub App's hook, with the App's JWT; nothing when the hook is not PushRelay's.
    func app(jwt: String) async -> Outcome {
        do throws(Stop) {
            let answer = try await self.send(
                GitHubHookDeliveries.appHookRequest(apiURL: self.apiURL, jwt: jwt),
                listing: "the App's hook"
            )
            guard let url = GitHubHookDeliveries.appHookURL(in: answer.body) else {
                return .failed("the App's hook config is not understood")
            }
            guard url.hasPrefix(self.prefix) else { return .asked([]) }
            return .asked(try await self.pass(.app, key: "app", headers: GitHubHookDeliveries.appHeaders(jwt: jwt)))
        } catch {
            return error.outcome
        }
    }

    /// Lists one hook's deliveries back to the last pass (or as far as ``maxPages`` go), and asks for the
    /// resends ``Redelivery/toResend(_:limit:)`` picks.
    private func pass(
        _ scope: Redelivery.Scope,
        key: String,
        headers: [(name: String, value: String)]
    ) async throws(Stop) -> [String] {
        let started = Date()
        let since = self.memory.lastPass(key).map { $0.addingTimeInterval(-self.margin.seconds) }
        guard
            var request = Redelivery.attemptsRequest(
                kind: self.kind,
                scope: scope,
                apiURL: self.apiURL,
                authorization: headers
            )
        else { return [] }
        var attempts: [Redelivery.Attempt] = []
        for _ in 0..<Self.maxPages {
            let answer = try await self.send(request, listing: "the hook's deliveries")
            guard let page = Redelivery.attempts(kind: self.kind, in: answer.body) else {
                throw Stop(outcome: .failed("the host's list of deliveries is not understood"))
            }
            attempts += page
            // Newest first: a page that reaches back past the last pass is the last one needed.
            if let since, let oldest = page.compactMap(\.at).min(), oldest < since { break }
            // The next page on the same origin only: the token goes nowhere else.
            guard let link = Redelivery.nextPage(link: answer.headers.first(name: "link")),
                let next = HTTPExchange.sameOrigin(link, as: request.url)
            else { break }
            request.url = next
        }
        let chosen = Redelivery.toResend(attempts, limit: Redelivery.resendsPerRound(self.kind))
        for attempt in chosen where !self.dryRun {
            guard
                let resend = Redelivery.resendRequest(
                    kind: self.kind,
                    scope: scope,
                    attempt: attempt,
                    apiURL: self.apiURL,
                    authorization: headers
                )
            else { continue }
            // A delivery the host no longer keeps (`404`) or will not resend (`422`) is left: the others go on.
            _ = try await self.send(resend, listing: nil)
        }
        if !self.dryRun { self.memory.passed(key, at: started) }
        return chosen.map(\.event)
    }

    /// Sends `request`; a rate limit or an unreachable host stops the pass. `listing`: what a list call
    /// reads, whose refusal means the credentials cannot list it; `nil` for a resend, whose refusal leaves
    /// that one delivery.
    private func send(_ request: StatusRequest, listing: String?) async throws(Stop) -> HTTPExchange.Answer {
        let answer: HTTPExchange.Answer
        do {
            answer = try await self.exchange.send(request)
        } catch {
            throw Stop(outcome: .failed(error.description))
        }
        let header = { (name: String) in answer.headers.first(name: name) }
        if HostRateLimit.isSpent(status: answer.status, header: header) {
            throw Stop(outcome: .rateLimited(HostRateLimit.wait(header: header, now: Date()) ?? .seconds(60)))
        }
        if (200...299).contains(answer.status) { return answer }
        guard let listing else {
            guard (400...499).contains(answer.status) else { throw Stop(outcome: .failed("HTTP \(answer.status)")) }
            return answer
        }
        guard [401, 403, 404].contains(answer.status) else { throw Stop(outcome: .failed("HTTP \(answer.status)")) }
        throw Stop(outcome: .cannotList("HTTP \(answer.status): cannot list \(listing)"))
    }
}

/// When each hook's last complete pass started: in memory, so that a replica that has not passed a hook
/// yet reads as far back as ``Redeliverer/maxPages`` go.
final class RedeliveryMemory: Sendable {
    private let passes = Mutex<[String: Date]>([:])

    func lastPass(_ key: String) -> Date? { self.passes.withLock { $0[key] } }

    func passed(_ key: String, at date: Date) { self.passes.withLock { $0[key] = date } }
}
