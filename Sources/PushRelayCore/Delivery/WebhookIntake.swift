import Foundation

/// `serve`'s accept path, minus I/O: the shared ``DeliveryAssessment``, then what to refuse and what to
/// store. The signature is checked before any decision is made or any dedupe look-up tells a caller what
/// was seen.
package struct WebhookIntake: Sendable {
    package enum Outcome: Sendable, Equatable {
        /// Refused before anything is stored.
        case reject(WebhookAnswer)
        /// Verified; store its record and work, then answer ``DeliveryPlan/answer`` (or `duplicate`).
        case accept(DeliveryPlan)
    }

    package let config: RelayConfig

    package init(config: RelayConfig) {
        self.config = config
    }

    package func evaluate(
        provider: any WebhookProvider,
        headers: WebhookHeaders,
        body: [UInt8],
        receivedAt: Date = Date()
    ) -> Outcome {
        let assessment: DeliveryAssessment
        do {
            assessment = try DeliveryAssessment.assess(
                provider: provider,
                headers: headers,
                body: body,
                config: self.config,
                now: receivedAt
            )
        } catch {
            return .reject(.error(400, error.reason))
        }
        // The same status and reason whether or not the repository is configured: an unauthenticated
        // client cannot tell which repositories drive Terrakube.
        switch assessment.signature {
        case .valid, .notChecked, .polled: break
        case .absent: return .reject(.error(401, "missing \(provider.signatureHeaderName) header"))
        case .invalid: return .reject(.error(401, "\(provider.signatureHeaderName) does not verify"))
        }
        if let refusal = assessment.refusal { return .reject(.error(400, refusal)) }

        return .accept(
            self.plan(
                assessment,
                provider: provider.kind,
                headers: Self.storable(headers, provider: provider),
                body: body,
                receivedAt: receivedAt
            )
        )
    }

    /// The plan for a verified, decided delivery: a webhook's, or a push that recovery found
    /// (``DeliveryAssessment/recovered(_:repository:config:)``). One way to plan, whichever brought it.
    package func plan(
        _ assessment: DeliveryAssessment,
        provider: ProviderKind,
        headers: WebhookHeaders,
        body: [UInt8],
        receivedAt: Date
    ) -> DeliveryPlan {
        let delivery = assessment.delivery
        let repository = assessment.repository
        let refs = assessment.refs
        // Two refs asking for the same job create it once.
        var jobs: [JobSpec] = []
        var refJobs: [[Int]] = []
        for ref in refs {
            refJobs.append(
                ref.jobs.map { job in
                    if let index = jobs.firstIndex(of: job) { return index }
                    jobs.append(job)
                    return jobs.count - 1
                }
            )
        }
        var reasons: [String] = []
        for reason in refs.map(\.reason) where !reasons.contains(reason) { reasons.append(reason) }
        let names = refs.compactMap(\.ref?.name)
        let pullRequest = repository.flatMap { repository in
            refs.first?.pullRequest.map { PullRequestPlanKey(repository: repository.identity.description, pull: $0) }
        }
        var targets = repository.map { self.statusTargets(jobs, pullRequest: pullRequest, repository: $0) } ?? [:]
        let summaries = repository.map { self.summaries(&targets, refs: refs, repository: $0) } ?? []
        let comments =
            repository.flatMap { repository in
                refs.first?.pullRequest.map {
                    self.commentTargets(jobs, pull: $0, repository: repository, receivedAt: receivedAt)
                }
            } ?? [:]
        var (work, workJobs) = Self.work(jobs, pullRequest: pullRequest, targets: targets, comments: comments)
        work += summaries
        workJobs += Array(repeating: -1, count: summaries.count)
        let plan = DeliveryPlan(
            record: DeliveryRecord(
                provider: provider,
                deliveryID: delivery.deliveryID,
                event: delivery.eventName,
                receivedAt: receivedAt,
                repository: (repository?.identity ?? delivery.event.repositoryIdentities.first)?.description,
                ref: names.isEmpty ? nil : names.joined(separator: ","),
                decision: jobs.isEmpty ? .ignore : .queue,
                reason: reasons.joined(separator: "; "),
                signature: assessment.signature,
                headers: headers,
                // Kept for its id (dedupe) and decision, not its body: what a holder of the default
                // secret sends for repositories no config names must not fill the store.
                body: repository == nil ? [] : body
            ),
            jobs: jobs,
            work: work,
            workJobs: workJobs,
            refs: repository.map {
                Self.plannedRefs(refs, jobs: refJobs, repository: $0, settings: self.config.settings)
            } ?? [],
            configuredRepository: repository?.identity.description
        )
        guard let repository, let pull = refs.first?.pullRequest, !plan.jobs.isEmpty else { return plan }
        return plan.holdingPathPlans(pull, repository: repository, settings: self.config.settings, targets: targets)
    }

    /// The head each pushed branch or tag moves, with the jobs it asks for: what the store settles against
    /// the heads it remembers.
    private static func plannedRefs(
        _ refs: [RefDecision],
        jobs: [[Int]],
        repository: RepositoryConfig,
        settings: ServiceSettings
    ) -> [PlannedRef] {
        let host = settings.hosts[repository.identity.host]
        let checkable = host.map { $0.kind != .gogs && !$0.apiURL.isEmpty } ?? false
        return zip(refs, jobs).compactMap { ref, jobs in
            guard let name = ref.ref, name.overrideBranch != nil, ref.pullRequest == nil else { return nil }
            let after = ref.deleted ? HeadMove.deleted : ref.commit
            guard let after, !after.isEmpty else { return nil }
            return PlannedRef(
                move: HeadMove(
                    repository: repository.identity.description,
                    ref: name.name,
                    before: ref.previousCommit,
                    after: after
                ),
                jobs: jobs,
                reason: ref.reason,
                orderCheckable: checkable
            )
        }
    }

    /// What the store queues for the jobs: each one's creation (a pull request's plan once per head, the
    /// newest of its pull request's), then its first commit status ("Queued") where it has one.
    /// - Returns: the items, and the job each serves.
    private static func work(
        _ jobs: [JobSpec],
        pullRequest: PullRequestPlanKey?,
        targets: [Int: StatusTarget],
        comments: [Int: PlanCommentTarget]
    ) -> (work: [NewWork], jobs: [Int]) {
        var work: [NewWork] = []
        var served: [Int] = []
        for (index, job) in jobs.enumerated() {
            let target = targets[index]
            work.append(
                pullRequest?.creation(of: job, status: target, comment: comments[index])
                    ?? TerrakubeJobOrder(job, status: target).work
            )
            if let target { work.append(target.post(.queued)) }
            served += Array(repeating: index, count: work.count - served.count)
        }
        return (work, served)
    }

    /// Where each job's status goes, by the job's index: the repository's host has a `hosts`
    /// entry, and the repository has not turned statuses off.
    /// A pull request's plans go on its head commit, named `…/plan`.
    private func statusTargets(
        _ jobs: [JobSpec],
        pullRequest: PullRequestPlanKey?,
        repository: RepositoryConfig
    ) -> [Int: StatusTarget] {
        let settings = self.config.settings
        guard settings.statusHost(for: repository) != nil, let status = settings.status,
            let uiURL = settings.terrakube.uiURL
        else { return [:] }
        var targets: [Int: StatusTarget] = [:]
        for (index, job) in jobs.enumerated() {
            // A plan without a head commit (Gogs, which has no status API anyway) has nothing to show it on.
            let commit = pullRequest.map { $0.head ?? "" } ?? job.commitID
            guard !commit.isEmpty else { continue }
            let name = repository.routes.first { $0.workspace == job.workspace }?.workspaceName ?? job.workspace
            targets[index] = StatusTarget(
                host: repository.identity.host,
                repository: repository.identity.spelledPath,
                commit: commit,
                context: "\(status.context)/\(name)" + (pullRequest == nil ? "" : "/plan"),
                organization: job.organization,
                workspace: job.workspace,
                uiURL: uiURL
            )
        }
        return targets
    }

    /// With `status.summary: true`: each target counts in its commit's summary (``StatusSummary``), and each
    /// commit the delivery shows on gets the summary's own post: a pushed commit, a planned pull request's
    /// head, even with no route (then "No workspace affected"). A fork's or a draft's pull request that is
    /// not planned gets none: its summary must not pass a change nothing looked at.
    private func summaries(
        _ targets: inout [Int: StatusTarget],
        refs: [RefDecision],
        repository: RepositoryConfig
    ) -> [NewWork] {
        let settings = self.config.settings
        guard let status = settings.status, status.summary, settings.statusHost(for: repository) != nil,
            settings.terrakube.uiURL != nil
        else { return [] }
        var commits: [String] = []
        for ref in refs {
            let commit: String?
            if let pull = ref.pullRequest {
                let unplanned = ref.reason == RouteMatcher.fromFork || ref.reason == RouteMatcher.draft
                commit = pull.notPlanning == nil && !unplanned && !pull.headCommitAbbreviated ? pull.headCommit : nil
            } else {
                commit = ref.deleted ? nil : ref.commit
            }
            if let commit, !commit.isEmpty, !commits.contains(commit) { commits.append(commit) }
        }
        var routes: [String: [String]] = [:]
        for (_, target) in targets.sorted(by: { $0.key < $1.key }) {
            routes[target.commit, default: []].append(target.context)
            if !commits.contains(target.commit) { commits.append(target.commit) }
        }
        targets = targets.mapValues { target in
            var member = target
            member.summary = SummaryMembership(context: status.context, routes: routes[target.commit] ?? [])
            return member
        }
        return commits.map { commit in
            StatusSummary.post(
                host: repository.identity.host,
                repository: repository.identity.spelledPath,
                commit: commit,
                context: status.context,
                routes: routes[commit] ?? []
            )
        }
    }

    /// Where each pull request plan's state goes in the pull request's comment, by the job's index: its
    /// route does not say `comment: off`, the repository's host has a `hosts` entry of a kind with a
    /// comment API, and the payload names the head commit.
    private func commentTargets(
        _ jobs: [JobSpec],
        pull: PullRequestEvent,
        repository: RepositoryConfig,
        receivedAt: Date
    ) -> [Int: PlanCommentTarget] {
        let host = repository.identity.host
        guard let entry = self.config.settings.hosts[host], entry.kind != .gogs, !entry.apiURL.isEmpty,
            let head = pull.headCommit
        else { return [:] }
        var targets: [Int: PlanCommentTarget] = [:]
        for (index, job) in jobs.enumerated() {
            guard
                let route = repository.routes.first(where: {
                    $0.workspace == job.workspace && $0.pullRequests?.template == job.template
                }), let mode = route.pullRequests?.comment, mode != .off
            else { continue }
            targets[index] = PlanCommentTarget(
                host: host,
                repository: repository.identity.spelledPath,
                pull: PullRequestID(repository: repository.identity.description, number: pull.number),
                head: head,
                planned: receivedAt,
                workspace: route.workspaceName ?? job.workspace,
                workspaceID: job.workspace,
                mode: mode,
                fork: pull.fork
            )
        }
        return targets
    }

    /// Headers worth keeping for `deliveries show` and `export`, less any that carry a secret.
    private static func storable(_ headers: WebhookHeaders, provider: any WebhookProvider) -> WebhookHeaders {
        let secret = ["authorization", "proxy-authorization", "cookie"] + provider.secretHeaderNames
        return WebhookHeaders(
            headers.fields.filter { field in !secret.contains { WebhookHeaders.sameName($0, field.name) } }
        )
    }
}
