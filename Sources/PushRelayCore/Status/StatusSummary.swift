/// `status.summary: true` (SPEC section 13): one more status on a commit, named `{status.context}`, that
/// sums up every route's status on it, so that branch protection can require one name that always ends.
///
/// Its routes' states are kept in a document (``DocumentStore``), one per commit, that each route's status
/// post updates as it is sent; the summary's own post reads it when it is sent. A delivery names all its
/// routes up front (those still waiting for a pull request's changed files too), so the summary cannot
/// end while a route it has not heard from yet is still to come.
package struct StatusSummary: Sendable, Equatable, Codable {
    /// Each route's status context, and the state it last posted.
    package var routes: [String: CommitStatus.State]

    package init(routes: [String: CommitStatus.State] = [:]) {
        self.routes = routes
    }

    /// The summary with `routes` in it (those not yet in it as pending) and `route` at `state`: `nil` when
    /// that changes nothing.
    package static func merging(
        _ routes: [String],
        setting route: (context: String, state: CommitStatus.State)?,
        into stored: StatusSummary?
    ) -> StatusSummary? {
        var summary = stored ?? StatusSummary()
        for context in routes where summary.routes[context] == nil { summary.routes[context] = .pending }
        if let route { summary.routes[route.context] = route.state }
        return summary == stored ? nil : summary
    }

    /// The status it shows: failure as soon as one route failed, pending while one is, success when all
    /// succeeded or there are none; the counts in its description (`2/3 plans succeeded, 1 running`).
    package var status: CommitStatus {
        guard !self.routes.isEmpty else { return CommitStatus(state: .success, description: "No workspace affected") }
        let states = Array(self.routes.values)
        let succeeded = states.count { $0 == .success }
        let failed = states.count { $0 == .failure || $0 == .error }
        let running = states.count { $0 == .pending }
        // Pull request plans are named `…/plan`; anything else a push's job.
        let plans = self.routes.keys.allSatisfy { $0.hasSuffix("/plan") }
        let noun = (plans ? "plan" : "job") + (states.count == 1 ? "" : "s")
        var description = "\(succeeded)/\(states.count) \(noun) succeeded"
        if failed > 0 { description += ", \(failed) failed" }
        if running > 0 { description += ", \(running) running" }
        let state: CommitStatus.State = failed > 0 ? .failure : running > 0 ? .pending : .success
        return CommitStatus(state: state, description: description)
    }

    /// The summary's own post on `commit`, among `routes`: its status is counted from the document when it
    /// is sent, so the text it is queued with is a placeholder.
    package static func post(
        host: String,
        repository: String,
        commit: String,
        context: String,
        routes: [String]
    ) -> NewWork {
        StatusPostWork(
            host: host,
            post: StatusPost(
                repository: repository,
                commit: commit,
                context: context,
                status: CommitStatus(state: .pending, description: "Summing up"),
                summary: .whole(routes: routes)
            )
        ).work
    }

    /// The document of the summary named `context` on `commit`.
    package static func key(host: String, repository: String, commit: String, context: String) -> DocumentKey {
        DocumentKey(.statusSummary, "\(host) \(repository)@\(commit)#\(context)")
    }
}

/// What a status post has to do with a summary.
package enum StatusSummaryRole: Sendable, Equatable, Codable {
    /// A route's post: its state counts in the summary.
    case route(SummaryMembership)
    /// The summary's own post, whose status is read from the document when it is sent; `routes` are those
    /// of the delivery that queued it.
    case whole(routes: [String])
}

/// The summary a route's status counts in: its context, and every route context of the delivery on the
/// same commit.
package struct SummaryMembership: Sendable, Hashable, Codable {
    package var context: String
    package var routes: [String]

    package init(context: String, routes: [String]) {
        self.context = context
        self.routes = routes
    }
}

extension DocumentKey.Scope {
    /// A commit's ``StatusSummary``.
    package static let statusSummary = Self(rawValue: "status-summary")
}
