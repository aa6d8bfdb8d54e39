import Foundation
import Logging
import PushRelayCore
import Synchronization

/// Follows Terrakube jobs (items of kind ``WorkKind/followTerrakubeJob``) until they end: reads their
/// states, many in one request, every few seconds while they are queued or running and less often while
/// they wait for approval, for at most 6 hours. Each change of state is handed to `onChange`, whose work
/// (commit statuses) is queued in the same transaction that records the new state.
///
/// A poll that changes nothing is a reschedule: not an attempt, not a history row. Where a server refuses
/// `filter[job]=id=in=(…)` (a `400`), jobs are read one request each from then on.
package struct TerrakubeJobFollower<API: TerrakubeAPI>: WorkHandler {
    package let api: API
    package var cadence = FollowCadence()
    package var retry = RetryPolicy(maxAttempts: 1_000)
    /// Most jobs read in one request.
    package var batchSize = 100
    /// The work a change queues: the job as it is now, and where it stands.
    package var onChange: @Sendable (FollowedJob, JobProgress) -> [NewWork] = { _, _ in [] }
    /// What "now" is for the 6-hour limit and the cadence.
    package var clock = WorkClock.system
    /// Whether the server has refused the filter that reads many jobs at once.
    private let dialect = FilterDialect()

    package var type: WorkType<FollowedJob> { .followTerrakubeJob }

    package init(api: API) {
        self.api = api
    }

    package func perform(_ work: ClaimedWork, _ job: FollowedJob, logger: Logger) async -> WorkOutcome {
        await self.perform(batch: [(work, job)], logger: logger)[0]
    }

    package func perform(batch: [(work: ClaimedWork, payload: FollowedJob)], logger: Logger) async -> [WorkOutcome] {
        let followed = batch.map(\.payload)
        // Read, per organization, every job of the batch: one request each, or one per job.
        var states: [String: TerrakubeJobSummary?] = [:]
        var failure: TerrakubeFailure?
        for organization in Set(followed.map(\.organization)) {
            let ids = followed.compactMap { $0.organization == organization ? $0.jobID : nil }
            do {
                for (id, job) in try await self.read(ids, organization: organization) { states[id] = job }
            } catch {
                failure = error
            }
        }
        return batch.map { work, job in
            guard let read = states[job.jobID] else {
                let failure = failure ?? .retryable(status: nil, reason: "not read", retryAfter: nil)
                return self.outcome(job, failed: failure, attempts: work.attempts, at: self.clock.now)
            }
            return self.outcome(job, now: read, at: self.clock.now)
        }
    }

    /// Every job of `ids`: those Terrakube does not have are there as `nil`.
    private func read(
        _ ids: [String],
        organization: String
    ) async throws(TerrakubeFailure)
        -> [(String, TerrakubeJobSummary?)]
    {
        if !self.dialect.oneAtATime.load(ordering: .relaxed) {
            do {
                let listed = try await self.api.jobs(ids: ids, organization: organization)
                let byID = Dictionary(listed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                return ids.map { ($0, byID[$0]) }
            } catch .permanent(status: 400, _) {
                self.dialect.oneAtATime.store(true, ordering: .relaxed)
            }
        }
        var read: [(String, TerrakubeJobSummary?)] = []
        for id in ids { read.append((id, try await self.api.job(id: id, organization: organization))) }
        return read
    }

    /// What a read means for the job's item.
    package func outcome(_ job: FollowedJob, now read: TerrakubeJobSummary?, at now: Date) -> WorkOutcome {
        guard let read, let status = read.status else {
            return self.end(job, .missing(jobID: job.jobID), label: .missing)
        }
        var seen = job
        seen.status = status
        let progress = JobProgress.terrakube(jobID: job.jobID, state: status)
        if progress.isFinal { return self.end(seen, progress, label: .ended(status)) }
        if now.timeIntervalSince(job.since) >= self.cadence.limit.seconds {
            return self.end(seen, .expired(jobID: job.jobID), label: .expired)
        }
        // Handed on only when the commit would show something else: `queue` after `pending` is still
        // "queued", which the creation already posted.
        let shown = { (state: String) in
            let status = CommitStatus(.terrakube(jobID: job.jobID, state: state), runURL: { _ in nil })
            return "\(status.state) \(status.description)"
        }
        let next = job.status.map(shown) == shown(status) ? [] : self.onChange(seen, progress)
        return .reschedule(
            payload: self.type.encoded(seen),
            after: self.cadence.next(after: status, now: now),
            next: next
        )
    }

    private func end(_ job: FollowedJob, _ progress: JobProgress, label: DoneLabel) -> WorkOutcome {
        .done(
            result: nil,
            label: label,
            detail: CommitStatus(progress, runURL: { _ in nil }).description,
            next: self.onChange(job, progress)
        )
    }

    /// What a failed read means: try again, unless following has run out of time (Terrakube unreachable
    /// or refusing for 6 hours: the job's end is not known, and its status says so).
    package func outcome(
        _ job: FollowedJob,
        failed failure: TerrakubeFailure,
        attempts: Int,
        at now: Date
    )
        -> WorkOutcome
    {
        if now.timeIntervalSince(job.since) >= self.cadence.limit.seconds {
            return self.end(job, .expired(jobID: job.jobID), label: .expired)
        }
        switch failure {
        case .permanent(let status, _):
            // A token that may no longer read jobs: keep trying, slowly; it is not the job's fault.
            return .retry(status: status, error: failure.description, after: .seconds(60), outcomeUnknown: false)
        case .retryable(let status, _, let retryAfter, _):
            let delay = self.retry.delay(afterAttempts: attempts + 1, retryAfter: retryAfter)
            return .retry(status: status, error: failure.description, after: delay, outcomeUnknown: false)
        }
    }
}

/// Learned once per process: shared by every copy of the follower.
private final class FilterDialect: Sendable {
    let oneAtATime = Atomic(false)
}
