extension RouteMatcher {
    /// The plans a verified pull request event asks for: each route whose `branches` match the **target**
    /// branch and that has `pull_requests`, with the plan template, the source branch and the head commit.
    /// Pure: no I/O.
    package static func match(
        _ pull: PullRequestEvent,
        repository: RepositoryConfig,
        organization: String,
        via: String
    ) -> Outcome {
        if let why = pull.notPlanning { return Outcome(jobs: [], reason: why) }
        let routes = repository.routes.filter { route in
            route.pullRequests != nil && route.branches?.matches(pull.targetBranch) == true
        }
        guard !routes.isEmpty else {
            return Outcome(jobs: [], reason: "no route plans pull requests into \(pull.targetBranch)")
        }
        var jobs: [JobSpec] = []
        var refused: [String] = []
        var pathsFiltered = false
        for route in routes {
            guard let plans = route.pullRequests else { continue }
            // Terrakube would run the fork's code with the workspace's credentials.
            if pull.fork && !plans.allowForks {
                refused.append(Self.fromFork)
                continue
            }
            if pull.draft && !plans.drafts {
                refused.append(Self.draft)
                continue
            }
            // No host's pull request payload lists the changed files: `paths` match, as for a push that
            // cannot list them.
            pathsFiltered = pathsFiltered || route.paths != nil
            let job = JobSpec(
                organization: organization,
                workspace: route.workspace,
                template: plans.template,
                overrideBranch: pull.sourceBranch,
                commitID: pull.headCommitAbbreviated ? "" : (pull.headCommit ?? ""),
                via: via,
                commitToResolve: pull.headCommitAbbreviated
                    ? pull.headCommit.map {
                        AbbreviatedCommit(
                            host: repository.identity.host,
                            repository: repository.identity.spelledPath,
                            hash: $0
                        )
                    } : nil
            )
            if !jobs.contains(job) { jobs.append(job) }
        }
        guard !jobs.isEmpty else {
            return Outcome(jobs: [], reason: refused.contains(Self.fromFork) ? Self.fromFork : Self.draft)
        }
        var reason =
            "\(jobs.count) plan\(jobs.count == 1 ? "" : "s") for pull request #\(pull.number) "
            + "(\(pull.sourceBranch) into \(pull.targetBranch))"
        if pathsFiltered { reason += Self.pullRequestPathsUnknown }
        return Outcome(jobs: jobs, reason: reason)
    }

    /// What the reason says of routes with `paths` when the changed files are not read from the host.
    package static let pullRequestPathsUnknown =
        "; paths filter matched because the changed files are unknown (pull request payloads list none)"

    /// The reason a fork's pull request creates no job (SPEC section 11).
    package static let fromFork = "pull request from a fork"
    package static let draft = "draft pull request: it plans once it is ready for review"
}
