/// `status`: where each job's commit status is posted (SPEC section 10). Absent: no statuses.
package struct StatusSettings: Sendable, Equatable {
    /// A job's status is named `{context}/{workspace}`.
    package var context: String
    /// Keyed by the host of a repository's identity (`github.com`, `gitlab.example.com`).
    package var hosts: [String: Host]
    /// How often a job is read while queued or running, and while it waits for approval.
    package var pollSeconds: Double = 5
    package var approvalPollSeconds: Double = 30

    package struct Host: Sendable, Equatable {
        package var kind: StatusHostKind
        /// The API root, without a trailing slash: the kind's default, or `api_url`.
        package var apiURL: String
        /// A token (`token_env`, `token_file`); `nil` for a GitHub App.
        package var token: APIToken?
        package var app: GitHubApp?

        package init(kind: StatusHostKind, apiURL: String, token: APIToken?, app: GitHubApp? = nil) {
            self.kind = kind
            self.apiURL = apiURL
            self.token = token
            self.app = app
        }
    }

    /// A GitHub App that posts statuses with installation tokens minted from its private key.
    package struct GitHubApp: Sendable, Equatable {
        package var id: String
        /// The PEM file, as an absolute path (read when tokens are minted, never logged).
        package var privateKeyFile: String

        package init(id: String, privateKeyFile: String) {
            self.id = id
            self.privateKeyFile = privateKeyFile
        }
    }

    package init(context: String = "pushrelay", hosts: [String: Host]) {
        self.context = context
        self.hosts = hosts
    }
}

/// The Git hosts with a commit status API, as `status.hosts.*.kind` names them.
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

extension ServiceSettings {
    /// The `status.hosts` entry a repository's jobs are shown on: its host's, with `terrakube.ui_url` set
    /// and statuses not turned off for it (`status: false`); `nil` otherwise.
    package func statusHost(for repository: RepositoryConfig) -> StatusSettings.Host? {
        guard let status = self.status, self.terrakube.uiURL != nil, repository.postsStatuses else { return nil }
        return status.hosts[repository.identity.host]
    }
}
