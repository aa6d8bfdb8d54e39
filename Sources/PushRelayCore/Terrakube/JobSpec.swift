/// Everything needed to create one Terrakube job: stored with the delivery, sent by the dispatcher.
package struct JobSpec: Sendable, Hashable, Codable {
    package var organization: String
    package var workspace: String
    package var template: String
    /// The branch name, or `refs/tags/<tag>` for a tag push.
    package var overrideBranch: String
    package var commitID: String
    /// Terrakube's spelling of the provider (`Github`, `Gitlab`, …).
    package var via: String
    /// An abbreviated head commit (Bitbucket Cloud's pull requests) to resolve through the host's API into
    /// ``commitID`` before the job is sent; `commitID` is empty until then.
    package var commitToResolve: AbbreviatedCommit?

    package init(
        organization: String,
        workspace: String,
        template: String,
        overrideBranch: String,
        commitID: String,
        via: String,
        commitToResolve: AbbreviatedCommit? = nil
    ) {
        self.commitToResolve = commitToResolve
        self.organization = organization
        self.workspace = workspace
        self.template = template
        self.overrideBranch = overrideBranch
        self.commitID = commitID
        self.via = via
    }
}

/// A commit a payload names by an abbreviated hash, and where to ask for the full one.
package struct AbbreviatedCommit: Sendable, Hashable, Codable {
    /// The `hosts` entry whose API and credentials resolve it.
    package var host: String
    /// The repository as the host's API names it.
    package var repository: String
    package var hash: String

    package init(host: String, repository: String, hash: String) {
        self.host = host
        self.repository = repository
        self.hash = hash
    }
}

/// Turns an abbreviated commit into its full sha, through the host's API.
package protocol CommitResolving: Sendable {
    /// The full sha; `nil` when there is no way to learn it (no credentials for the host, a host kind
    /// without the call, the host does not know the commit): the job is then sent without `commitId`.
    /// - Throws: when the host cannot be asked now; the job is tried again later.
    func fullSHA(of commit: AbbreviatedCommit) async throws -> String?
}
