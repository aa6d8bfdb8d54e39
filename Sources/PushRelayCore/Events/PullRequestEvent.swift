/// What PushRelay takes from a pull or merge request event, whichever host sent it.
package struct PullRequestEvent: Sendable, Equatable {
    /// The number people know it by (GitHub's `number`, GitLab's `iid`, Azure DevOps' `pullRequestId`).
    package var number: Int
    /// The action as the host names it: `synchronize`, `update`, `pr:from_ref_updated`, ….
    package var action: String
    /// Why this event plans nothing, whatever the routes say (`closed`, a vote); `nil` when it may plan.
    package var notPlanning: String?
    package var sourceBranch: String
    package var targetBranch: String
    /// The head commit; `nil` where the payload has none (Gogs).
    package var headCommit: String?
    /// The payload gives the head commit abbreviated (Bitbucket Cloud): the full sha comes from the host's API.
    package var headCommitAbbreviated: Bool
    /// The source repository is not the target repository.
    package var fork: Bool
    package var draft: Bool

    package init(
        number: Int,
        action: String,
        notPlanning: String? = nil,
        sourceBranch: String,
        targetBranch: String,
        headCommit: String?,
        headCommitAbbreviated: Bool = false,
        fork: Bool,
        draft: Bool
    ) {
        self.number = number
        self.action = action
        self.notPlanning = notPlanning
        self.sourceBranch = sourceBranch
        self.targetBranch = targetBranch
        self.headCommit = headCommit
        self.headCommitAbbreviated = headCommitAbbreviated
        self.fork = fork
        self.draft = draft
    }

    /// Why `action` is ignored: `nil` when it is one of the host's `planning` actions.
    package static func notPlanning(_ action: String, planning: Set<String> = []) -> String? {
        planning.contains(action) ? nil : "pull request action '\(action)' does not plan"
    }

    /// `refs/heads/main` → `main` (Azure DevOps and Bitbucket Data Center give full ref names); a short
    /// name as it is.
    package static func branch(_ ref: String) -> String {
        GitRef(ref).branch ?? ref
    }
}
