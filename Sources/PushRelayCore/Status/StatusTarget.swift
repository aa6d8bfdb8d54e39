/// Where a job's commit status goes: decided with the delivery, carried by the job's work from then on.
package struct StatusTarget: Sendable, Equatable, Hashable, Codable {
    /// The `hosts` entry.
    package var host: String
    /// The repository as the host's API names it: the identity's path as the config spells it.
    package var repository: String
    package var commit: String
    /// `{status.context}/{workspace name, else id}`.
    package var context: String
    /// Ids for the run link: `{ui_url}/organizations/{organization}/workspaces/{workspace}/runs/{job}`.
    package var organization: String
    package var workspace: String
    package var uiURL: String
    /// With `status.summary: true`: the summary its state counts in.
    package var summary: SummaryMembership?

    package init(
        host: String,
        repository: String,
        commit: String,
        context: String,
        organization: String,
        workspace: String,
        uiURL: String
    ) {
        self.host = host
        self.repository = repository
        self.commit = commit
        self.context = context
        self.organization = organization
        self.workspace = workspace
        self.uiURL = uiURL
    }

    package func runURL(_ job: String) -> String {
        "\(self.uiURL)/organizations/\(self.organization)/workspaces/\(self.workspace)/runs/\(job)"
    }

    /// The keyed post that shows `progress` on the commit.
    package func post(_ progress: JobProgress) -> NewWork {
        self.post(status: CommitStatus(progress, runURL: self.runURL))
    }

    /// The keyed post of `status` on the commit, under this target's context.
    package func post(status: CommitStatus) -> NewWork {
        StatusPostWork(
            host: self.host,
            post: StatusPost(
                repository: self.repository,
                commit: self.commit,
                context: self.context,
                status: status,
                summary: self.summary.map { .route($0) }
            )
        ).work
    }
}
