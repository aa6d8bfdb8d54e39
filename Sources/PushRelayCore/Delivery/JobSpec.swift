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

    package init(
        organization: String,
        workspace: String,
        template: String,
        overrideBranch: String,
        commitID: String,
        via: String
    ) {
        self.organization = organization
        self.workspace = workspace
        self.template = template
        self.overrideBranch = overrideBranch
        self.commitID = commitID
        self.via = via
    }
}
