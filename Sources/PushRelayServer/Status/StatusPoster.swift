import Logging
import PushRelayCore

/// Posts the commit statuses of one Git host (items of kind `status.post/{host}`), in the host kind's
/// dialect, retrying what SPEC section 10 says to retry. The only file that speaks HTTP to Git hosts.
package struct StatusPoster: WorkHandler, CustomStringConvertible {
    package let host: String
    package let kind: StatusHostKind
    package let settings: GitHost
    package let credentials: HostCredentials
    /// The link for hosts that demand one before there is a run (`terrakube.ui_url`).
    package let fallbackURL: String
    package var exchange: HTTPExchange
    package var retry = RetryPolicy(maxAttempts: 150)
    package var metrics: RelayMetrics?
    /// Where commits' summaries (``StatusSummary``) are kept; posts with a summary role need it.
    package var documents: (any DocumentStore)?

    package var type: WorkType<StatusPostWork> { StatusPostWork.type(host: self.host) }

    package init(
        host: String,
        kind: StatusHostKind,
        settings: GitHost,
        credentials: HostCredentials,
        fallbackURL: String,
        exchange: HTTPExchange
    ) {
        self.host = host
        self.kind = kind
        self.settings = settings
        self.credentials = credentials
        self.fallbackURL = fallbackURL
        self.exchange = exchange
    }

    /// Without the token.
    package var description: String { "StatusPoster(\(self.host), \(self.kind.rawValue))" }

    package func perform(_ work: ClaimedWork, _ item: StatusPostWork, logger: Logger) async -> WorkOutcome {
        var item = item
        var outcome: WorkOutcome
        do {
            let summaryPost = try await self.summarise(&item)
            outcome = await self.post(work, item)
            // The summary's own post follows each route's, whatever the host said of the route's: its state
            // is already counted.
            if let summaryPost { outcome = outcome.followed(by: summaryPost) }
        } catch {
            outcome = self.retrying(work, status: nil, reason: "the store: \(error)", after: nil)
        }
        if let metrics = self.metrics {
            let result = if case .failed = outcome { "refused" } else { outcome.name }
            metrics.statusPost(host: self.host, kind: self.kind, result: result)
        }
        return outcome
    }

    /// Counts a route's state in its commit's summary, or gives the summary's own post its status, as the
    /// summary document says now.
    /// - Returns: for a route's post, the summary's post that must follow it.
    private func summarise(_ item: inout StatusPostWork) async throws -> NewWork? {
        guard let role = item.post.summary, let documents = self.documents else { return nil }
        let post = item.post
        let (context, routes, route): (String, [String], (String, CommitStatus.State)?) =
            switch role {
            case .route(let summary): (summary.context, summary.routes, (post.context, post.status.state))
            case .whole(let routes): (post.context, routes, nil)
            }
        let key = StatusSummary.key(host: item.host, repository: post.repository, commit: post.commit, context: context)
        // What was stored, for a summary post that changes nothing: read once, not again.
        var stored: StatusSummary?
        let written = try await documents.update(StatusSummary.self, at: key) {
            stored = $0
            return StatusSummary.merging(routes, setting: route, into: $0)
        }
        if route != nil {
            return StatusSummary.post(
                host: item.host,
                repository: post.repository,
                commit: post.commit,
                context: context,
                routes: routes
            )
        }
        item.post.status = (written ?? stored ?? StatusSummary()).status
        return nil
    }

    private func post(_ work: ClaimedWork, _ item: StatusPostWork) async -> WorkOutcome {
        let api = self.kind.api
        let previous = StatusPostWork.Posted(result: work.result)
        let state = api.state(of: item.post, previous: previous?.state)
        let posted = StatusPostWork.Posted(state: state, description: item.post.status.description)
        // Already on the commit, as the last post left it.
        if previous == posted {
            return .done(result: posted.result, label: .unchanged, detail: "already on the commit")
        }
        let token: APIToken
        do {
            token = try await self.credentials.token(for: item.post.repository)
        } catch let failure as GitHubAppTokens.Failure {
            guard failure.retry else { return .failed(status: failure.status, error: failure.reason) }
            return self.retrying(work, status: failure.status, reason: failure.reason, after: failure.after)
        } catch {
            return .failed(status: nil, error: "no token for \(self.host): \(error)")
        }
        let request = api.request(
            item.post,
            apiURL: self.settings.apiURL,
            token: token,
            fallbackURL: self.fallbackURL,
            previous: previous?.state
        )
        let answer: HTTPExchange.Answer
        do {
            answer = try await self.exchange.send(request)
        } catch {
            return self.retrying(work, status: nil, reason: error.description, after: nil)
        }
        switch answer.verdict(self.kind) {
        case .posted:
            let detail = "\(state) \"\(item.post.status.description)\": HTTP \(answer.status)"
            return .done(result: posted.result, label: .posted, detail: detail)
        case .retry(let after, let reason):
            return self.retrying(work, status: answer.status, reason: reason, after: after)
        case .refused(let reason):
            if answer.status == 401 { await self.credentials.unauthorized(token, for: item.post.repository) }
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
}
