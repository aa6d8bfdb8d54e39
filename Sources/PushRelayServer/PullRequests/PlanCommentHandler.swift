import Foundation
import Logging
import NIOHTTP1
import PushRelayCore

/// Keeps a pull request's one plan comment (SPEC section 13) as the store has it: posts it the first time,
/// edits it in place after (from any replica: its reference is in the store), and posts it again when the
/// host no longer has it (deleted by someone). A host's refusal (`401`, `403`, `422`) gives up with the
/// reason; `429` and `5xx` are tried again with backoff, `Retry-After` honoured.
struct PlanCommentHandler: WorkHandler {
    let host: String
    let entry: GitHosts.Entry
    let exchange: HTTPExchange
    let store: any DocumentStore
    var retry = RetryPolicy(maxAttempts: 12)
    var metrics: RelayMetrics?

    var type: WorkType<PlanCommentPost> { PlanCommentPost.type(host: self.host) }

    private enum Stop: Error {
        case retry(String, status: Int?, after: Duration?)
        case refused(String, status: Int)
    }

    func perform(_ work: ClaimedWork, _ post: PlanCommentPost, logger: Logger) async -> WorkOutcome {
        let kind = self.entry.settings.kind
        do throws(Stop) {
            guard let (stored, _) = try await self.load(post.pull) else {
                return .done(result: nil, label: .done, detail: "no plan comment to post")
            }
            let body = PlanComment.render(head: stored.head, sections: stored.sections, kind: kind)
            let token = try await self.token(post.repository)
            if let reference = stored.reference {
                guard
                    let request = PullRequestComment.edit(
                        kind: kind,
                        repository: post.repository,
                        number: post.pull.number,
                        reference: reference,
                        body: body,
                        apiURL: self.entry.settings.apiURL,
                        token: token
                    )
                else { return .failed(status: nil, error: "\(kind.rawValue) has no comment API") }
                let answer = try await self.send(request)
                if answer.status != 404 {
                    try self.check(answer)
                    let next = PullRequestComment.reference(kind: kind, answer: answer.body, previous: reference)
                    if next != reference { try await self.remember(next, for: post.pull) }
                    self.metrics?.planComment(host: self.host, outcome: "edited")
                    return .done(result: nil, label: .done, detail: "comment \(reference) edited for \(stored.head)")
                }
                // Deleted on the host: posted again below.
            }
            guard
                let request = PullRequestComment.create(
                    kind: kind,
                    repository: post.repository,
                    number: post.pull.number,
                    body: body,
                    apiURL: self.entry.settings.apiURL,
                    token: token
                )
            else { return .failed(status: nil, error: "\(kind.rawValue) has no comment API") }
            let answer = try await self.send(request)
            try self.check(answer)
            let reference = PullRequestComment.reference(kind: kind, answer: answer.body)
            try await self.remember(reference, for: post.pull)
            self.metrics?.planComment(host: self.host, outcome: "posted")
            return .done(result: nil, label: .done, detail: "comment \(reference ?? "?") posted for \(stored.head)")
        } catch {
            switch error {
            case .refused(let reason, let status):
                self.metrics?.planComment(host: self.host, outcome: "refused")
                return .failed(status: status, error: reason)
            case .retry(let reason, let status, let after):
                guard work.attempts + 1 < self.retry.maxAttempts else {
                    self.metrics?.planComment(host: self.host, outcome: "failed")
                    return .failed(status: status, error: "gave up: \(reason)")
                }
                let delay = self.retry.delay(afterAttempts: work.attempts + 1, retryAfter: after)
                return .retry(status: status, error: reason, after: delay, outcomeUnknown: false)
            }
        }
    }

    private func load(_ pull: PullRequestID) async throws(Stop) -> (StoredPlanComment, Int)? {
        do {
            return try await self.store.planComment(pull)
        } catch {
            throw .retry("store: \(error)", status: nil, after: .seconds(1))
        }
    }

    /// Keeps the comment's reference: sections written meanwhile stay.
    private func remember(_ reference: String?, for pull: PullRequestID) async throws(Stop) {
        do {
            try await self.store.setPlanCommentReference(reference, of: pull)
        } catch {
            throw .retry("store: \(error)", status: nil, after: .seconds(1))
        }
    }

    private func token(_ repository: String) async throws(Stop) -> APIToken {
        do {
            return try await self.entry.credentials.token(for: repository)
        } catch let failure as GitHubAppTokens.Failure where failure.retry {
            throw .retry("no token: \(failure.reason)", status: failure.status, after: failure.after)
        } catch {
            throw .refused("no token: \(error)", status: 0)
        }
    }

    private func send(_ request: StatusRequest) async throws(Stop) -> HTTPExchange.Answer {
        do {
            return try await self.exchange.send(request)
        } catch {
            throw .retry(error.description, status: nil, after: nil)
        }
    }

    /// A `2xx` passes; a spent rate limit, `429` or `5xx` is tried again; anything else is refused.
    private func check(_ answer: HTTPExchange.Answer) throws(Stop) {
        let header = { (name: String) in answer.headers.first(name: name) }
        if (200...299).contains(answer.status) { return }
        if HostRateLimit.isSpent(status: answer.status, header: header) || answer.status >= 500 {
            throw .retry(
                "HTTP \(answer.status)",
                status: answer.status,
                after: HostRateLimit.wait(header: header, now: Date())
            )
        }
        throw .refused("HTTP \(answer.status): \(String(answer.text.prefix(200)))", status: answer.status)
    }
}
