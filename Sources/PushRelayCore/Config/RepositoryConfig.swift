/// One `repos/*.yaml` file: a repository, the secrets that authenticate its webhooks, and its routes.
package struct RepositoryConfig: Sendable, Equatable {
    package var identity: RepositoryIdentity
    /// The file it came from, for messages.
    package var file: String
    /// Secrets that verify its deliveries (its own, else the default); several during a rotation.
    package var secrets: [WebhookSecret]
    /// Set only by an explicit `insecure_no_signature: true`: deliveries are accepted unverified.
    package var insecureNoSignature: Bool
    package var routes: [Route]

    package init(
        identity: RepositoryIdentity,
        file: String,
        secrets: [WebhookSecret],
        insecureNoSignature: Bool = false,
        routes: [Route]
    ) {
        self.identity = identity
        self.file = file
        self.secrets = secrets
        self.insecureNoSignature = insecureNoSignature
        self.routes = routes
    }
}

/// One entry of a repository file's `routes:`: which pushes it takes, and the job it creates.
package struct Route: Sendable, Equatable {
    package var file: String
    package var line: Int
    package var branches: PatternSet?
    package var tags: PatternSet?
    package var paths: PatternSet?
    package var workspace: String
    package var template: String

    package init(
        file: String,
        line: Int,
        branches: PatternSet? = nil,
        tags: PatternSet? = nil,
        paths: PatternSet? = nil,
        workspace: String,
        template: String
    ) {
        self.file = file
        self.line = line
        self.branches = branches
        self.tags = tags
        self.paths = paths
        self.workspace = workspace
        self.template = template
    }
}
