/// One `repos/*.yaml` file: a repository, the secrets that authenticate its webhooks, and its routes.
package struct RepositoryConfig: Sendable, Equatable {
    package var identity: RepositoryIdentity
    /// The file it came from, for messages.
    package var file: String
    /// Secrets that verify its deliveries (its own, else the default); several during a rotation.
    package var secrets: [WebhookSecret]
    /// Set only by an explicit `insecure_no_signature: true`: deliveries are accepted unverified.
    package var insecureNoSignature: Bool
    /// `allow_sha1_signature: true`: GitHub's legacy SHA-1 header is accepted when no SHA-256 one is sent.
    package var signatureOptions: SignatureOptions
    /// `honor_skip_ci` (default true): `[skip ci]`, `[ci skip]` or `[skip pushrelay]` in the head commit
    /// message skips the push.
    package var honorSkipCI: Bool
    /// `status: false` turns commit statuses off for this repository (they need a `hosts` entry for its
    /// host too).
    package var postsStatuses: Bool
    /// `recovery: false` leaves this repository out of missed-push recovery.
    package var recovers: Bool
    package var routes: [Route]

    package init(
        identity: RepositoryIdentity,
        file: String,
        secrets: [WebhookSecret],
        insecureNoSignature: Bool = false,
        signatureOptions: SignatureOptions = SignatureOptions(),
        honorSkipCI: Bool = true,
        postsStatuses: Bool = true,
        recovers: Bool = true,
        routes: [Route]
    ) {
        self.recovers = recovers
        self.postsStatuses = postsStatuses
        self.identity = identity
        self.file = file
        self.secrets = secrets
        self.insecureNoSignature = insecureNoSignature
        self.signatureOptions = signatureOptions
        self.honorSkipCI = honorSkipCI
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
    /// The template run when a matching branch or tag is deleted (`on_delete: {template: …}`); without
    /// it, deletions are ignored.
    package var onDeleteTemplate: String?
    /// Names given instead of ids (`workspace_name`, `template_name`, `on_delete.template_name`); the
    /// ids above are filled in from Terrakube before the config is used.
    package var workspaceName: String?
    package var templateName: String?
    package var onDeleteTemplateName: String?
    /// `pull_requests:`: this route also plans pull requests into the branches it watches.
    package var pullRequests: PullRequestPlans?

    /// True when every id is known.
    package var isResolved: Bool {
        !self.workspace.isEmpty && !self.template.isEmpty
            && (self.onDeleteTemplateName == nil || self.onDeleteTemplate != nil)
            && self.pullRequests?.template.isEmpty != true
    }

    package init(
        file: String,
        line: Int,
        branches: PatternSet? = nil,
        tags: PatternSet? = nil,
        paths: PatternSet? = nil,
        workspace: String,
        template: String,
        onDeleteTemplate: String? = nil
    ) {
        self.onDeleteTemplate = onDeleteTemplate
        self.file = file
        self.line = line
        self.branches = branches
        self.tags = tags
        self.paths = paths
        self.workspace = workspace
        self.template = template
    }
}

/// A route's `pull_requests:` section: the plan-only template, and which pull requests may run it.
package struct PullRequestPlans: Sendable, Equatable {
    /// The template id; empty until ``templateName`` is resolved.
    package var template: String
    package var templateName: String?
    /// `allow_forks: true`: a pull request from a fork plans too, running the fork's code with the
    /// workspace's credentials. Off by default.
    package var allowForks: Bool
    /// `drafts: true`: a draft pull request plans; by default it waits until it is ready.
    package var drafts: Bool
    /// `comment`: what the pull request's plan comment shows of this route's plans (SPEC section 13).
    package var comment: PlanCommentMode

    package init(
        template: String,
        templateName: String? = nil,
        allowForks: Bool = false,
        drafts: Bool = false,
        comment: PlanCommentMode = .summary
    ) {
        self.template = template
        self.templateName = templateName
        self.allowForks = allowForks
        self.drafts = drafts
        self.comment = comment
    }
}

/// `pull_requests.comment`: the plan's state, summary line and run link (`summary`, the default), its
/// output too (`full`), or no comment (`off`).
package enum PlanCommentMode: String, Sendable, Equatable, Codable, CaseIterable {
    case summary
    case full
    case off
}
