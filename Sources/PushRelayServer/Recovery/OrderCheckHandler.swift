import Foundation
import Logging
import NIOHTTP1
import PushRelayCore

/// Settles a push that came out of order (``OrderCheck``): asks the host's compare API whether the head
/// PushRelay remembers already contains the push's commit. Contained: a late delivery of an older push,
/// and nothing is queued. Not contained, or the host cannot say: the head moves to the commit (only from
/// where it was; if it moved meanwhile, the check starts again against the new one) and the held work is
/// queued. A host that cannot be reached is asked again with backoff, 5 times, then the work is queued.
///
/// The head moves before the attempt is finished, in two steps. A process that dies between them leaves the
/// head on the commit and the item rescued as uncertain (the queue's word for "an attempt may have had its
/// effect"): the retry that finds the head on the commit then queues the held work, since this check may be
/// what moved it. Were another delivery of the same commit to have moved it in that window, its jobs and
/// these would both run: a push is never lost, at the price of a rare second run after a crash.
package struct OrderCheckHandler: WorkHandler {
    let config: ConfigHolder
    let hosts: GitHosts
    let store: any RefHeadStore
    var retry = RetryPolicy(maxAttempts: 20)

    package init(config: ConfigHolder, hosts: GitHosts, store: any RefHeadStore) {
        self.config = config
        self.hosts = hosts
        self.store = store
    }

    package var type: WorkType<OrderCheck> { OrderCheck.type }

    package func perform(_ work: ClaimedWork, _ check: OrderCheck, logger: Logger) async -> WorkOutcome {
        let key = HeadKey(repository: check.repository, ref: check.ref)
        do {
            // Three tries: each lost race means the head moved, and the next compare is against the new one.
            for _ in 0..<3 {
                let current = try await self.store.heads(of: check.repository).heads[check.ref]
                if current == check.commit, work.uncertain {
                    return .done(
                        result: nil,
                        label: .done,
                        detail: "the head is on \(check.commit), perhaps moved by an interrupted attempt: queued",
                        next: check.held.map(\.work)
                    )
                }
                if current == check.commit {
                    return .done(
                        result: nil,
                        label: .done,
                        detail: "already queued for \(check.commit): nothing queued"
                    )
                }
                let base = current ?? check.remembered
                let order = try await self.order(check, base: base)
                if case .older = order {
                    return .done(result: nil, label: .done, detail: "older than \(base): nothing queued")
                }
                guard try await self.store.moveHead(key, from: current, to: check.commit) else { continue }
                let detail =
                    if case .unknown(let reason) = order {
                        "cannot check the order (\(reason)): queued"
                    } else {
                        "newer than \(base): queued"
                    }
                return .done(result: nil, label: .done, detail: detail, next: check.held.map(\.work))
            }
            return self.retry(work, error: "the head kept moving")
        } catch let failure as HTTPExchange.TransportFailure {
            // A host down for long must not hold a push back for long: after a few tries it is queued.
            guard work.attempts + 1 >= Self.triesBeforeQueuing else {
                return self.retry(work, error: failure.description)
            }
            return await self.queueUnchecked(check, reason: failure.description)
        } catch {
            return self.retry(work, error: "store: \(error)")
        }
    }

    static let triesBeforeQueuing = 5

    /// Queues the held work without the host's word, moving the head to the commit from wherever it is.
    private func queueUnchecked(_ check: OrderCheck, reason: String) async -> WorkOutcome {
        let key = HeadKey(repository: check.repository, ref: check.ref)
        do {
            let current = try await self.store.heads(of: check.repository).heads[check.ref]
            _ = try await self.store.moveHead(key, from: current, to: check.commit)
        } catch {
            return .retry(status: nil, error: "store: \(error)", after: .seconds(1), outcomeUnknown: false)
        }
        return .done(
            result: nil,
            label: .done,
            detail: "cannot check the order (\(reason)): queued",
            next: check.held.map(\.work)
        )
    }

    private func retry(_ work: ClaimedWork, error: String) -> WorkOutcome {
        guard work.attempts + 1 < self.retry.maxAttempts else { return .failed(status: nil, error: error) }
        let delay = self.retry.delay(afterAttempts: work.attempts + 1)
        return .retry(status: nil, error: error, after: delay, outcomeUnknown: false)
    }

    /// The host's word on `check.commit` against `base`; a transport failure is thrown, to retry.
    private func order(
        _ check: OrderCheck,
        base: String
    ) async throws(HTTPExchange.TransportFailure) -> CommitOrder {
        let config = self.config.config
        guard let repository = config.repositories.first(where: { $0.identity.description == check.repository }) else {
            return .unknown("the repository is no longer configured")
        }
        let name = repository.identity.host
        let entry = self.hosts.entries[name]
        guard let kind = entry?.settings.kind ?? RecoveryTarget.publicHosts[name] else {
            return .unknown("no 'hosts' entry for \(name)")
        }
        let apiURL = entry?.settings.apiURL ?? kind.defaultAPIURL ?? ""
        let token: APIToken?
        do {
            token = try await entry?.credentials.token(for: repository.identity.spelledPath)
        } catch {
            return .unknown("no token for \(name): \(error)")
        }
        guard
            let request = CommitOrder.request(
                kind: kind,
                repository: repository.identity.spelledPath,
                base: base,
                head: check.commit,
                apiURL: apiURL,
                token: token
            )
        else { return .unknown("\(kind.rawValue) has no compare API") }
        var exchange = self.hosts.exchange
        exchange.peer = name
        let answer = try await exchange.send(.GET, url: request.url, headers: request.headers)
        if HostRateLimit.isSpent(status: answer.status, header: { answer.headers.first(name: $0) })
            || answer.status >= 500
        {
            throw .noAnswer("\(name) answered HTTP \(answer.status)")
        }
        return CommitOrder.read(kind: kind, status: answer.status, body: answer.body)
    }
}
