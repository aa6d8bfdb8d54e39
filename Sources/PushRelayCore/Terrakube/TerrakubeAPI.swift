/// Terrakube's job API. The REST implementation lives with the HTTP client; tests may use another.
package protocol TerrakubeAPI: Sendable {
    /// - Returns: Terrakube's job id (`data.id` of its `201`).
    func createJob(_ job: JobSpec) async throws(TerrakubeFailure) -> String

    /// Jobs already in Terrakube for the same workspace, template, branch and commit, oldest first:
    /// how an attempt whose outcome is unknown finds out whether it created one.
    func findJobs(like job: JobSpec) async throws(TerrakubeFailure) -> [TerrakubeJobSummary]

    /// These jobs as Terrakube has them now, with one request (`filter[job]=id=in=(…)`); a job it does not
    /// list is absent. A server that refuses the filter answers `400`: then ask ``job(id:organization:)``.
    func jobs(ids: [String], organization: String) async throws(TerrakubeFailure) -> [TerrakubeJobSummary]

    /// One job as Terrakube has it now; `nil` when it has no such job.
    func job(id: String, organization: String) async throws(TerrakubeFailure) -> TerrakubeJobSummary?
}

/// A job as Terrakube lists it.
package struct TerrakubeJobSummary: Sendable, Equatable {
    package var id: String
    /// `createdDate` when Terrakube gave a readable one.
    package var createdAt: Double?
    package var workspace: String?
    package var templateReference: String?
    package var overrideBranch: String?
    package var commitID: String?
    /// Terrakube's state: `pending`, `queue`, `running`, `waitingApproval`, `completed`, `failed`, …
    package var status: String?

    package init(
        id: String,
        createdAt: Double?,
        workspace: String?,
        templateReference: String?,
        overrideBranch: String?,
        commitID: String?,
        status: String? = nil
    ) {
        self.status = status
        self.id = id
        self.createdAt = createdAt
        self.workspace = workspace
        self.templateReference = templateReference
        self.overrideBranch = overrideBranch
        self.commitID = commitID
    }

    /// Whether this is the job `spec` describes. Checked here, not left to the server's filter: a filter
    /// Terrakube ignored must not make PushRelay adopt another push's job.
    package func matches(_ spec: JobSpec) -> Bool {
        self.workspace == spec.workspace && self.templateReference == spec.template
            && self.overrideBranch == spec.overrideBranch && (self.commitID ?? "") == spec.commitID
    }
}

/// Why a call failed, sorted by what the dispatcher should do about it.
package enum TerrakubeFailure: Error, Equatable, CustomStringConvertible {
    /// Unreachable, `5xx` or `429`: try again later, not before `retryAfter` when given.
    /// `outcomeUnknown` when the request may have been received and acted on (a timeout, a reset).
    case retryable(status: Int?, reason: String, retryAfter: Duration?, outcomeUnknown: Bool = false)
    /// Any other `4xx`: retrying cannot help. `detail` is Terrakube's `errors[0].detail` when it sent one.
    case permanent(status: Int, detail: String)

    package var status: Int? {
        switch self {
        case .retryable(let status, _, _, _): status
        case .permanent(let status, _): status
        }
    }

    package var description: String {
        switch self {
        case .retryable(let status, let reason, _, _): status.map { "HTTP \($0): \(reason)" } ?? reason
        case .permanent(let status, let detail): "HTTP \(status): \(detail)"
        }
    }
}
