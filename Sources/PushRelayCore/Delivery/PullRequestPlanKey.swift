/// Which pull request and head commit a delivery's plans are for: what makes two deliveries' plans the
/// same plan, on any replica (a unique key in the store, not a check in memory).
package struct PullRequestPlanKey: Sendable, Equatable {
    /// The normalised identity of the target repository.
    package var repository: String
    package var number: Int
    /// The head commit as the payload gives it (abbreviated on Bitbucket Cloud); `nil` where it gives none
    /// (Gogs), and then every planning event plans.
    package var head: String?

    package init(repository: String, pull: PullRequestEvent) {
        self.repository = repository
        self.number = pull.number
        self.head = pull.headCommit
    }

    /// The creation of `job` as the one plan of its head, workspace and template, and the newest of its
    /// pull request's: queuing it drops that pull request's older plans for the same workspace and template
    /// that have not been sent.
    package func creation(of job: JobSpec, status: StatusTarget?, comment: PlanCommentTarget? = nil) -> NewWork {
        let plan = "\(self.repository)#\(self.number) \(job.workspace) \(job.template)"
        return WorkType.createTerrakubeJob.work(
            TerrakubeJobOrder(job, status: status, comment: comment),
            key: self.head.map { plan + " " + $0 },
            once: self.head != nil,
            group: plan
        )
    }
}
