/// What one changed ref of a verified delivery asks for.
package struct RefDecision: Sendable, Equatable {
    /// `nil` for an event that names no ref (a ping, a pull request).
    package var ref: GitRef?
    package var commit: String?
    package var deleted: Bool
    /// The commit the ref had before a push, where the payload says.
    package var previousCommit: String? = nil
    package var decision: DeliveryRecord.Decision
    package var reason: String
    package var jobs: [JobSpec]
    /// The pull request, for a pull request event.
    package var pullRequest: PullRequestEvent?
}

/// The decision for a delivery, per changed ref: one rule set for `serve`'s accept path and `replay`.
package enum DeliveryDecision {
    package static func decide(
        _ event: WebhookEvent,
        repository: RepositoryConfig?,
        organization: String,
        via: String
    ) -> [RefDecision] {
        switch event.kind {
        case .ping:
            return [RefDecision(ref: nil, commit: nil, deleted: false, decision: .ignore, reason: "ping", jobs: [])]
        case .other(let name):
            return [
                RefDecision(
                    ref: nil,
                    commit: nil,
                    deleted: false,
                    decision: .ignore,
                    reason: "event '\(name)' is not a push",
                    jobs: []
                )
            ]
        case .incompletePullRequest(let reason):
            return [RefDecision(ref: nil, commit: nil, deleted: false, decision: .ignore, reason: reason, jobs: [])]
        case .pullRequest(let pull):
            var decision = RefDecision(
                ref: nil,
                commit: pull.headCommit,
                deleted: false,
                decision: .ignore,
                reason: "repository not configured",
                jobs: [],
                pullRequest: pull
            )
            if let repository {
                let outcome = RouteMatcher.match(pull, repository: repository, organization: organization, via: via)
                decision.reason = outcome.reason
                decision.jobs = outcome.jobs
                decision.decision = outcome.jobs.isEmpty ? .ignore : .queue
            }
            return [decision]
        case .push(let pushes):
            return pushes.map { push in
                guard let repository else {
                    return RefDecision(
                        ref: push.ref,
                        commit: push.commit,
                        deleted: push.deleted,
                        decision: .ignore,
                        reason: "repository not configured",
                        jobs: []
                    )
                }
                let outcome = RouteMatcher.match(push, repository: repository, organization: organization, via: via)
                return RefDecision(
                    ref: push.ref,
                    commit: push.commit,
                    deleted: push.deleted,
                    previousCommit: push.previousCommit,
                    decision: outcome.jobs.isEmpty ? .ignore : .queue,
                    reason: outcome.reason,
                    jobs: outcome.jobs
                )
            }
        }
    }
}
