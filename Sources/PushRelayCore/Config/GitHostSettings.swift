/// One entry of `hosts` (SPEC section 12): a Git host PushRelay calls, for statuses, commit lookups and
/// recovery, keyed by the host of the repository identities it serves (`github.com`, `git.example.com`).
package struct GitHost: Sendable, Equatable {
    package var kind: GitHostKind
    /// The REST API root, without a trailing slash: the kind's default, or `api_url`; empty for a kind
    /// that has none PushRelay uses (Gogs).
    package var apiURL: String
    /// Scheme, host and port of Git over HTTPS (`git_url`), without a trailing slash; `nil`: `https://`
    /// and the entry's host.
    package var gitURL: String?
    /// A token (`token_env`, `token_file`); `nil` for a GitHub App.
    package var token: APIToken?
    package var app: GitHubAppSettings?

    package init(
        kind: GitHostKind,
        apiURL: String,
        token: APIToken?,
        app: GitHubAppSettings? = nil,
        gitURL: String? = nil
    ) {
        self.kind = kind
        self.apiURL = apiURL
        self.token = token
        self.app = app
        self.gitURL = gitURL
    }

    /// The kind's commit status dialect; `nil` for Gogs, which has no status API.
    package var statusKind: StatusHostKind? { StatusHostKind(rawValue: self.kind.rawValue) }
}

/// A GitHub App whose installation tokens PushRelay calls GitHub with, minted from its private key.
package struct GitHubAppSettings: Sendable, Equatable {
    package var id: String
    /// The PEM file, as an absolute path (read when tokens are minted, never logged).
    package var privateKeyFile: String

    package init(id: String, privateKeyFile: String) {
        self.id = id
        self.privateKeyFile = privateKeyFile
    }
}

/// The Git host kinds, as `hosts.*.kind` names them.
package enum GitHostKind: String, Sendable, Equatable, CaseIterable {
    case github
    case gitlab
    case gitea
    case gogs
    case bitbucketCloud = "bitbucket-cloud"
    case bitbucketServer = "bitbucket-server"
    case azureDevOps = "azure-devops"

    /// The API root when the entry gives none; `nil` where the kind is self-hosted only.
    package var defaultAPIURL: String? {
        StatusHostKind(rawValue: self.rawValue)?.api.defaultAPIURL
    }
}

extension ServiceSettings {
    /// The `hosts` entry a repository's jobs are shown on: its host's, of a kind with a status API, with
    /// `status` and `terrakube.ui_url` set and statuses not turned off for it (`status: false`); `nil`
    /// otherwise.
    package func statusHost(for repository: RepositoryConfig) -> GitHost? {
        guard self.status != nil, self.terrakube.uiURL != nil, repository.postsStatuses,
            let host = self.hosts[repository.identity.host], host.statusKind != nil
        else { return nil }
        return host
    }
}
