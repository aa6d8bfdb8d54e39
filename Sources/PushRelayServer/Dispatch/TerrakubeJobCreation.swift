import Foundation
import Logging
import PushRelayCore

/// Creates one Terrakube job per item of kind ``WorkKind/createTerrakubeJob``, retrying with backoff.
///
/// Each job is created once: an attempt whose outcome is unknown (the process stopped mid-call, the call
/// timed out, the connection dropped after sending, a lease ran out) leaves the item uncertain, and its
/// next attempt first lists Terrakube's jobs for the same workspace, template, branch and commit, and
/// adopts one that no other item has recorded, instead of creating a second.
package struct TerrakubeJobCreation<API: TerrakubeAPI, Results: WorkQueue>: WorkHandler {
    package let api: API
    /// Where the Terrakube job ids other items recorded are looked up, for the adoption rule.
    package let results: Results
    package var retry: RetryPolicy
    /// Terrakube jobs created this long before an uncertain attempt started are not taken for its own
    /// (allows for clock skew between PushRelay and Terrakube).
    package var adoptionSkew: TimeInterval = 600
    /// The least wait after an attempt whose outcome is unknown (set to the request timeout), so that a
    /// request Terrakube is still working on has likely finished before the lookup looks for its job.
    package var uncertainRetryFloor: Duration = .seconds(30)
    /// Resolves a head commit a payload abbreviated (Bitbucket Cloud's pull requests) before the job is
    /// sent; without it, such a job is sent without `commitId`.
    package var commits: (any CommitResolving)?
    /// When a created job starts being followed.
    package var clock = WorkClock.system

    package var type: WorkType<TerrakubeJobOrder> { .createTerrakubeJob }

    package init(api: API, results: Results, retry: RetryPolicy = RetryPolicy()) {
        self.api = api
        self.results = results
        self.retry = retry
    }

    package func perform(_ work: ClaimedWork, _ order: TerrakubeJobOrder, logger: Logger) async -> WorkOutcome {
        let (spec, target, comment) = (order.spec, order.status, order.comment)
        let outcome = await self.attempt(spec, work: work)
        guard target != nil || comment != nil else { return outcome }
        // What shows the job (its commit status, its pull request's comment) follows it: queued in Terrakube
        // and followed from there, or refused.
        let shown = { (jobID: String, progress: JobProgress) -> [NewWork] in
            (target.map { [$0.post(progress)] } ?? [])
                + (comment.map {
                    [
                        PlanSectionUpdate(target: $0, organization: spec.organization, jobID: jobID, progress: progress)
                            .work
                    ]
                } ?? [])
        }
        switch outcome {
        case .done(let id?, let label, let detail, _):
            // Followed from what its first status shows, so that a first read that says the same posts nothing.
            let followed = FollowedJob(
                organization: spec.organization,
                jobID: id,
                since: self.clock.now,
                status: "pending",
                target: target,
                comment: comment
            )
            return .done(
                result: id,
                label: label,
                detail: detail,
                next: shown(id, .terrakube(jobID: id, state: "pending")) + [followed.work]
            )
        case .failed(let status, let error, _):
            return .failed(status: status, error: error, next: shown("", .refused(error)))
        default:
            return outcome
        }
    }

    private func attempt(_ spec: JobSpec, work: ClaimedWork) async -> WorkOutcome {
        let attempt = work.attempts + 1
        var spec = spec
        if let abbreviated = spec.commitToResolve, spec.commitID.isEmpty {
            do {
                spec.commitID = try await self.commits?.fullSHA(of: abbreviated) ?? ""
            } catch {
                let reason = "cannot resolve commit \(abbreviated.hash) through \(abbreviated.host): \(error)"
                return self.outcome(of: .retryable(status: nil, reason: reason, retryAfter: nil), attempt: attempt)
            }
        }
        do {
            if work.uncertain, let existing = try await self.adoptable(spec, work: work) {
                return TerrakubeJobOrder.adopted(existing)
            }
            return TerrakubeJobOrder.created(try await self.api.createJob(spec))
        } catch let failure as TerrakubeFailure {
            return self.outcome(of: failure, attempt: attempt)
        } catch {
            return self.outcome(of: .retryable(status: nil, reason: "\(error)", retryAfter: nil), attempt: attempt)
        }
    }

    package func log(
        _ outcome: WorkOutcome,
        of work: ClaimedWork,
        _ order: TerrakubeJobOrder,
        attempt: Int,
        logger: Logger
    ) {
        var logger = logger
        logger[metadataKey: "relay.workspace"] = "\(order.spec.workspace)"
        switch outcome {
        case .done(let id, let label, _, _):
            logger.info(
                label == .adopted ? "Job found in Terrakube, adopted" : "Job created",
                metadata: ["relay.terrakube.job": "\(id ?? "")", "relay.attempt": "\(attempt)"]
            )
        case .retry(_, let error, let after, _):
            logger.warning(
                "Terrakube call failed; will retry",
                metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)", "relay.retry.in": "\(after)"]
            )
        case .failed(_, let error, _):
            logger.error("Job failed", metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)"])
        case .reschedule:
            break  // not an outcome this handler gives
        }
    }

    /// A Terrakube job an earlier, uncertain attempt created: same workspace, template, branch and commit,
    /// created after that attempt started (less the skew allowance), and not recorded for another item.
    private func adoptable(_ spec: JobSpec, work: ClaimedWork) async throws -> String? {
        let candidates = try await self.api.findJobs(like: spec)
        let since = (work.uncertainSince ?? work.queuedAt).timeIntervalSince1970 - self.adoptionSkew
        let recent = candidates.filter { $0.matches(spec) && ($0.createdAt ?? since) >= since }.map(\.id)
        let taken = try await self.results.recordedResults(of: self.kind, among: recent)
        return recent.first { !taken.contains($0) }
    }

    private func outcome(of failure: TerrakubeFailure, attempt: Int) -> WorkOutcome {
        switch failure {
        case .permanent(let status, _):
            return .failed(status: status, error: failure.description)
        case .retryable(let status, _, let retryAfter, let unknown):
            if attempt >= self.retry.maxAttempts {
                return .failed(status: status, error: "gave up after \(attempt) attempts; last: \(failure)")
            }
            var delay = self.retry.delay(afterAttempts: attempt, retryAfter: retryAfter)
            if unknown { delay = max(delay, self.uncertainRetryFloor) }
            return .retry(status: status, error: failure.description, after: delay, outcomeUnknown: unknown)
        }
    }
}
