/// The Git hosts PushRelay understands; the raw value is the path segment in `/hooks/{provider}`.
package enum ProviderKind: String, Sendable, CaseIterable, Codable {
    case github
    case gitlab
    /// Gitea, Forgejo and Gogs, which share one webhook dialect.
    case gitea
    /// Bitbucket Cloud and Bitbucket Data Center.
    case bitbucket
    case azureDevOps = "azure-devops"

    /// The `via` attribute Terrakube records on a job, as its own webhooks spell it.
    package var via: String {
        switch self {
        case .github: "Github"
        case .gitlab: "Gitlab"
        case .gitea: "Gitea"
        case .bitbucket: "Bitbucket"
        case .azureDevOps: "AzureDevops"
        }
    }
}
