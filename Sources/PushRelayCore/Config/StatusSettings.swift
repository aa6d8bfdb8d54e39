/// `status`: where each job's commit status is posted (SPEC section 10). Absent: no statuses. The hosts
/// posted to are the `hosts` entries (``GitHost``) of a kind with a status API.
package struct StatusSettings: Sendable, Equatable {
    /// A job's status is named `{context}/{workspace}`.
    package var context: String
    /// How often a job is read while queued or running, and while it waits for approval.
    package var pollSeconds: Double = 5
    package var approvalPollSeconds: Double = 30
    /// `summary: true`: one more status, named `{context}`, sums up every route's on the commit
    /// (``StatusSummary``).
    package var summary = false

    package init(context: String = "pushrelay") {
        self.context = context
    }
}

/// The Git hosts with a commit status API, as `hosts.*.kind` names them (Gogs has none).
package enum StatusHostKind: String, Sendable, Equatable, CaseIterable {
    case github
    case gitlab
    case gitea
    case bitbucketCloud = "bitbucket-cloud"
    case bitbucketServer = "bitbucket-server"
    case azureDevOps = "azure-devops"

    /// The file that builds this kind's requests.
    package var api: any StatusAPIKind.Type {
        switch self {
        case .github: GitHubStatus.self
        case .gitlab: GitLabStatus.self
        case .gitea: GiteaStatus.self
        case .bitbucketCloud: BitbucketCloudStatus.self
        case .bitbucketServer: BitbucketServerStatus.self
        case .azureDevOps: AzureDevOpsStatus.self
        }
    }
}
