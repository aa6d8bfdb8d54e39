import Foundation

extension DeliveryPlan {
    /// The plan with its pull request's plans for routes with `paths` held in a ``ChangedFilesCheck``, when
    /// the repository's host can list a pull request's files (a `hosts` entry of a kind with the API): the
    /// check queues those whose `paths` the files touch, and shows "No changes" for the others. Their jobs
    /// are not counted until then. A plan that a route without `paths` also asks for is not held.
    /// - Parameter targets: each job's status target, by its index.
    package func holdingPathPlans(
        _ pull: PullRequestEvent,
        repository: RepositoryConfig,
        settings: ServiceSettings,
        targets: [Int: StatusTarget]
    ) -> DeliveryPlan {
        let host = repository.identity.host
        guard let entry = settings.hosts[host], entry.kind != .gogs, !entry.apiURL.isEmpty else { return self }
        let planning = repository.routes.filter {
            $0.pullRequests != nil && $0.branches?.matches(pull.targetBranch) == true
        }
        var plans: [ChangedFilesCheck.Plan] = []
        var held = Set<Int>()
        for (index, job) in self.jobs.enumerated() {
            let routes = planning.filter { $0.workspace == job.workspace && $0.pullRequests?.template == job.template }
            // Held only when every route asking for it has the same `paths`.
            guard let paths = routes.first?.paths?.patterns, routes.allSatisfy({ $0.paths?.patterns == paths })
            else { continue }
            let name = routes.first?.workspaceName ?? job.workspace
            held.insert(index)
            plans.append(
                ChangedFilesCheck.Plan(
                    workspace: name,
                    paths: paths,
                    held: zip(self.work, self.workJobs).filter { $0.1 == index }.map { HeldWork($0.0) },
                    noChanges: targets[index].map {
                        HeldWork($0.post(status: CommitStatus(state: .success, description: "No changes for \(name)")))
                    }
                )
            )
        }
        guard !plans.isEmpty else { return self }
        var plan = self
        var positions: [Int: Int] = [:]
        plan.jobs = []
        for (index, job) in self.jobs.enumerated() where !held.contains(index) {
            positions[index] = plan.jobs.count
            plan.jobs.append(job)
        }
        plan.work = []
        plan.workJobs = []
        for (item, job) in zip(self.work, self.workJobs) where !held.contains(job) {
            plan.work.append(item)
            plan.workJobs.append(positions[job] ?? job)
        }
        let check = ChangedFilesCheck(repository: repository.identity.description, number: pull.number, plans: plans)
        plan.work.append(ChangedFilesCheck.type(host: host).work(check))
        plan.workJobs.append(-1)
        let waiting =
            (plans.count == 1
                ? "1 plan for a route with paths waits" : "\(plans.count) plans for routes with paths wait")
            + " for the pull request's changed files from \(host)"
        plan.record.reason =
            self.record.reason.replacingOccurrences(of: RouteMatcher.pullRequestPathsUnknown, with: "")
            + "; " + waiting
        return plan
    }
}
