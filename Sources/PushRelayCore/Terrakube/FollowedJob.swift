import Foundation

extension WorkKind {
    /// Follow one Terrakube job until it ends (``WorkType/followTerrakubeJob``).
    package static let followTerrakubeJob: WorkKind = "terrakube.follow-job"
}

extension WorkType<FollowedJob> {
    /// Follow one Terrakube job until it ends.
    package static var followTerrakubeJob: Self { Self(.followTerrakubeJob) }
}

/// A Terrakube job being followed: which, since when, and the state last seen.
package struct FollowedJob: Sendable, Equatable, Codable {
    package var organization: String
    package var jobID: String
    /// When PushRelay created (or adopted) it: following ends 6 hours on.
    package var since: Date
    /// Terrakube's state at the last read; `nil` before the first.
    package var status: String?
    /// Where its changes are shown.
    package var target: StatusTarget?
    /// A pull request plan's section of the pull request's comment.
    package var comment: PlanCommentTarget?

    package init(
        organization: String,
        jobID: String,
        since: Date,
        status: String? = nil,
        target: StatusTarget? = nil,
        comment: PlanCommentTarget? = nil
    ) {
        self.organization = organization
        self.jobID = jobID
        self.since = since
        self.status = status
        self.target = target
        self.comment = comment
    }

    /// Keyed by Terrakube's job id (global in a Terrakube), so that a job is followed once and a
    /// notification about it (`POST /hooks/terrakube`) finds its item.
    package var work: NewWork {
        WorkType.followTerrakubeJob.work(self, key: Self.key(self.jobID))
    }

    package static func key(_ jobID: String) -> String { "job \(jobID)" }
}

/// How often a followed job is read, and for how long (SPEC section 10; Terrakube fails a job itself after
/// 6 hours in `pending`, `queue`, `running` or `waitingApproval`).
package struct FollowCadence: Sendable, Equatable {
    /// While it is queued or running.
    package var active: Duration = .seconds(5)
    /// While it waits for a person to approve it.
    package var waiting: Duration = .seconds(30)
    /// Following ends this long after the job was created.
    package var limit: Duration = .seconds(6 * 3600)

    package init(active: Duration = .seconds(5), waiting: Duration = .seconds(30), limit: Duration = .seconds(6 * 3600))
    {
        self.active = active
        self.waiting = waiting
        self.limit = limit
    }

    /// How long until the job is read again, given its state: until the next multiple of its interval on
    /// the clock, so that every job in that state comes due at the same instant and is read in the same
    /// request, however far apart they were created.
    package func next(after status: String, now: Date) -> Duration {
        let interval = (status == "waitingApproval" ? self.waiting : self.active).seconds
        let elapsed = now.timeIntervalSince1970.truncatingRemainder(dividingBy: interval)
        return .milliseconds(Int64(((interval - elapsed) * 1000).rounded(.up)))
    }
}
