import Foundation

/// Where a plan's state goes in its pull request's comment (SPEC section 13): carried from the plan's
/// creation to the following of its Terrakube job.
package struct PlanCommentTarget: Sendable, Equatable, Codable {
    /// The `hosts` entry.
    package var host: String
    /// The repository as the host's API names it.
    package var repository: String
    package var pull: PullRequestID
    package var head: String
    /// When the delivery that planned this head came: a head planned later is newer.
    package var planned: Date
    /// The workspace as the comment names it.
    package var workspace: String
    /// Terrakube's id of the workspace, for the run link.
    package var workspaceID: String
    package var mode: PlanCommentMode
    /// A fork's plan shows its summary line only, never its output.
    package var fork: Bool

    package init(
        host: String,
        repository: String,
        pull: PullRequestID,
        head: String,
        planned: Date,
        workspace: String,
        workspaceID: String,
        mode: PlanCommentMode,
        fork: Bool
    ) {
        self.host = host
        self.repository = repository
        self.pull = pull
        self.head = head
        self.planned = planned
        self.workspace = workspace
        self.workspaceID = workspaceID
        self.mode = mode
        self.fork = fork
    }

    /// Whether the comment shows the plan's output.
    package var showsOutput: Bool { self.mode == .full && !self.fork }
}

/// A plan's job changed state: its section of the comment is written (with its summary line, read back
/// from Terrakube once the job has ended), then the comment is posted or edited.
package struct PlanSectionUpdate: Sendable, Equatable, Codable {
    package var target: PlanCommentTarget
    package var organization: String
    package var jobID: String
    /// Terrakube's state, or PushRelay's word when Terrakube has none to give (`refused`, `expired`,
    /// `missing`).
    package var state: String
    /// Why, for a plan Terrakube refused.
    package var error: String?

    package init(target: PlanCommentTarget, organization: String, jobID: String, state: String, error: String? = nil) {
        self.target = target
        self.organization = organization
        self.jobID = jobID
        self.state = state
        self.error = error
    }

    /// The update `progress` makes of the job's section.
    package init(target: PlanCommentTarget, organization: String, jobID: String, progress: JobProgress) {
        switch progress {
        case .queued: self.init(target: target, organization: organization, jobID: jobID, state: "queued")
        case .terrakube(_, let state): self.init(target: target, organization: organization, jobID: jobID, state: state)
        case .refused(let why):
            self.init(target: target, organization: organization, jobID: jobID, state: "refused", error: why)
        case .expired: self.init(target: target, organization: organization, jobID: jobID, state: "expired")
        case .missing: self.init(target: target, organization: organization, jobID: jobID, state: "missing")
        }
    }

    package static let type = WorkType<PlanSectionUpdate>("pull-request.plan-section")

    package var work: NewWork { Self.type.work(self) }

    /// Whether the job has ended, and its output can be read back.
    package var ended: Bool { JobProgress.terminalStates.contains(self.state) }
}

/// Post or edit a pull request's one plan comment as the store has it: keyed by the pull request, so that
/// two attempts for one never run at once (one comment, never two) and updates coming together are one.
package struct PlanCommentPost: Sendable, Equatable, Codable {
    package var host: String
    package var repository: String
    package var pull: PullRequestID

    package init(host: String, repository: String, pull: PullRequestID) {
        self.host = host
        self.repository = repository
        self.pull = pull
    }

    package static func type(host: String) -> WorkType<PlanCommentPost> {
        WorkType(WorkKind(rawValue: "pull-request.comment/" + host))
    }

    package var work: NewWork {
        Self.type(host: self.host).work(self, key: "\(self.pull.repository)#\(self.pull.number)")
    }
}
