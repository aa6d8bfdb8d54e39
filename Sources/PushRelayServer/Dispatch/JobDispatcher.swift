import Foundation
import Logging
import PushRelayCore
import ServiceLifecycle
import Synchronization

/// Creates the Terrakube jobs that the webhook handler committed, up to `concurrency` calls at a time,
/// retrying with backoff. It runs until graceful shutdown; calls already in flight then finish and their
/// outcome is recorded before `run` returns.
///
/// Each job is created once: an attempt whose outcome is unknown (the process stopped mid-call, the call
/// timed out, the connection dropped after sending) marks the job so that its next attempt first lists
/// Terrakube's jobs for the same workspace, template, branch and commit, and adopts one that no other job
/// has recorded, instead of creating a second.
package struct JobDispatcher<Store: DeliveryStore, API: TerrakubeAPI>: Service {
    package let store: Store
    package let api: API
    package let wake: DispatchWakeUp
    package let logger: Logger
    package var concurrency: Int
    package var retry: RetryPolicy
    /// How long to sleep when nothing is due and nothing wakes us (retries coming due are found then).
    package var idleDelay: Duration = .milliseconds(500)
    /// Terrakube jobs created this long before an uncertain attempt started are not taken for its own
    /// (allows for clock skew between PushRelay and Terrakube).
    package var adoptionSkew: TimeInterval = 600
    /// The least wait after an attempt whose outcome is unknown (set to the request timeout), so that a
    /// request Terrakube is still working on has likely finished before the lookup looks for its job.
    package var uncertainRetryFloor: Duration = .seconds(30)
    package var metrics: RelayMetrics?

    package init(
        store: Store,
        api: API,
        wake: DispatchWakeUp,
        logger: Logger,
        concurrency: Int = 4,
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.store = store
        self.api = api
        self.wake = wake
        self.logger = logger
        self.concurrency = concurrency
        self.retry = retry
    }

    package func run() async throws {
        let interrupted = try await self.store.recoverInterrupted(now: Date())
        if !interrupted.isEmpty {
            self.logger.warning(
                "Resuming jobs interrupted by a stop; each is looked up in Terrakube before it is sent again",
                metadata: ["relay.jobs": "\(interrupted.count)"]
            )
        }
        let inFlight = InFlightCount()
        // A discarding group reaps finished calls by itself; leaving it waits for those still in flight.
        await withDiscardingTaskGroup { group in
            // Cancelled too (the group stops because another service failed, say the listener could not
            // bind): the store then answers CancellationError and the pause returns at once.
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = self.concurrency - inFlight.value
                if free > 0, let jobs = await self.claim(limit: free), !jobs.isEmpty {
                    inFlight.add(jobs.count)
                    for job in jobs {
                        group.addTask {
                            await self.process(job)
                            inFlight.add(-1)
                            self.wake.signal()  // a slot is free
                        }
                    }
                    continue
                }
                await self.pause()
            }
        }
    }

    /// Due jobs, or `nil` when the store failed (logged; the loop pauses and tries again).
    private func claim(limit: Int) async -> [PendingJob]? {
        do {
            return try await self.store.claimDueJobs(limit: limit, now: Date())
        } catch {
            self.logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
            return nil
        }
    }

    private func pause() async {
        let wake = self.wake
        let delay = self.idleDelay
        // Returns early on graceful shutdown.
        await cancelWhenGracefulShutdown { await wake.wait(upTo: delay) }
    }

    private func process(_ job: PendingJob) async {
        var logger = self.logger
        logger[metadataKey: "relay.job.id"] = "\(job.id)"
        logger[metadataKey: "relay.delivery.id"] = "\(job.deliveryID)"
        logger[metadataKey: "relay.workspace"] = "\(job.spec.workspace)"
        let attempt = job.attempts + 1
        let outcome: AttemptOutcome
        do {
            if job.lookFirst, let existing = try await self.adoptable(job) {
                outcome = .created(terrakubeJobID: existing, adopted: true)
            } else {
                outcome = .created(terrakubeJobID: try await self.api.createJob(job.spec), adopted: false)
            }
        } catch let failure as TerrakubeFailure {
            outcome = self.outcome(of: failure, attempt: attempt)
        } catch {
            outcome = self.outcome(of: .retryable(status: nil, reason: "\(error)", retryAfter: nil), attempt: attempt)
        }
        do {
            try await self.store.finishAttempt(jobID: job.id, outcome: outcome, at: Date())
        } catch {
            // The job stays "sending"; the next start resumes it, looking in Terrakube first.
            logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
            return
        }
        switch outcome {
        case .created(_, let adopted): self.metrics?.jobAttempt(adopted ? "adopted" : "created")
        case .retry: self.metrics?.jobAttempt("retry")
        case .failed: self.metrics?.jobAttempt("failed")
        }
        switch outcome {
        case .created(let id, let adopted):
            logger.info(
                adopted ? "Job found in Terrakube, adopted" : "Job created",
                metadata: ["relay.terrakube.job": "\(id)", "relay.attempt": "\(attempt)"]
            )
        case .retry(_, let error, let next, _):
            logger.warning(
                "Terrakube call failed; will retry",
                metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)", "relay.retry.at": "\(next)"]
            )
        case .failed(_, let error):
            logger.error("Job failed", metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)"])
        }
    }

    /// A Terrakube job an earlier, uncertain attempt created: same workspace, template, branch and commit,
    /// created after that attempt started (less the skew allowance), and not recorded for another job.
    private func adoptable(_ job: PendingJob) async throws -> String? {
        let candidates = try await self.api.findJobs(like: job.spec)
        let since = (job.firstUncertainAttemptAt ?? job.queuedAt).timeIntervalSince1970 - self.adoptionSkew
        let recent = candidates.filter { $0.matches(job.spec) && ($0.createdAt ?? since) >= since }.map(\.id)
        let taken = try await self.store.recordedTerrakubeJobIDs(among: recent)
        return recent.first { !taken.contains($0) }
    }

    private func outcome(of failure: TerrakubeFailure, attempt: Int) -> AttemptOutcome {
        switch failure {
        case .permanent(let status, _):
            return .failed(status: status, error: failure.description)
        case .retryable(let status, _, let retryAfter, let unknown):
            if attempt >= self.retry.maxAttempts {
                return .failed(status: status, error: "gave up after \(attempt) attempts; last: \(failure)")
            }
            var delay = self.retry.delay(afterAttempts: attempt, retryAfter: retryAfter)
            if unknown { delay = max(delay, self.uncertainRetryFloor) }
            return .retry(
                status: status,
                error: failure.description,
                nextAttemptAt: Date().addingTimeInterval(delay.seconds),
                outcomeUnknown: unknown
            )
        }
    }
}

/// Calls in flight, shared between the claiming loop and the calls themselves.
private final class InFlightCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { self.count.load(ordering: .acquiring) }

    func add(_ delta: Int) {
        self.count.add(delta, ordering: .acquiringAndReleasing)
    }
}
