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
/// timed out, the connection dropped after sending, a lease ran out) marks the job so that its next attempt
/// first lists Terrakube's jobs for the same workspace, template, branch and commit, and adopts one that no
/// other job has recorded, instead of creating a second. Jobs are claimed as `owner` with a lease that
/// ``QueueUpkeep`` renews, and only as many as there are free slots, so a claim is started at once.
package struct JobDispatcher<Store: JobQueue, API: TerrakubeAPI>: Service {
    package let store: Store
    package let api: API
    package let wake: DispatchWakeUp
    package let logger: Logger
    /// This process's name in the queue's claims.
    package let owner: String
    /// How long a claim is this process's alone unless renewed.
    package var lease: Duration = .seconds(30)
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
        owner: String,
        concurrency: Int = 4,
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.store = store
        self.api = api
        self.wake = wake
        self.logger = logger
        self.owner = owner
        self.concurrency = concurrency
        self.retry = retry
    }

    package func run() async throws {
        let inFlight = InFlightCount()
        // A discarding group reaps finished calls by itself; leaving it waits for those still in flight.
        await withDiscardingTaskGroup { group in
            // Cancelled too (the group stops because another service failed, say the listener could not
            // bind): the store then answers CancellationError and the pause returns at once.
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = self.concurrency - inFlight.value
                if free > 0, let jobs = await self.claim(limit: free), !jobs.isEmpty {
                    inFlight.add(jobs.count)
                    let claimed = ContinuousClock.now
                    for job in jobs {
                        group.addTask {
                            await self.process(job, claimed: claimed)
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
    private func claim(limit: Int) async -> [ClaimedJob]? {
        do {
            return try await self.store.claim(owner: self.owner, limit: limit, lease: self.lease)
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

    private func process(_ job: ClaimedJob, claimed: ContinuousClock.Instant) async {
        var logger = self.logger
        logger[metadataKey: "relay.job.id"] = "\(job.id)"
        logger[metadataKey: "relay.delivery.id"] = "\(job.deliveryID)"
        logger[metadataKey: "relay.workspace"] = "\(job.spec.workspace)"
        // A claim this old may have been taken over (this process froze, or its renewals failed): hand it
        // back rather than send what another process may be sending.
        if ContinuousClock.now - claimed > self.lease / 2 {
            try? await self.store.release([job])
            return
        }
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
        guard let recorded = await self.record(outcome, of: job, logger: logger) else { return }
        guard recorded else {
            logger.warning(
                "Job taken over by another process after this one's lease ran out; this attempt's outcome is dropped",
                metadata: ["relay.attempt": "\(attempt)", "relay.outcome": "\(outcome.name)"]
            )
            return
        }
        self.metrics?.jobAttempt(outcome.name)
        switch outcome {
        case .created(let id, let adopted):
            logger.info(
                adopted ? "Job found in Terrakube, adopted" : "Job created",
                metadata: ["relay.terrakube.job": "\(id)", "relay.attempt": "\(attempt)"]
            )
        case .retry(_, let error, let after, _):
            logger.warning(
                "Terrakube call failed; will retry",
                metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)", "relay.retry.in": "\(after)"]
            )
        case .failed(_, let error):
            logger.error("Job failed", metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)"])
        }
    }

    /// Records the outcome, trying again while the store is unavailable: the outcome is known, and a job
    /// left `sending` would keep its lease for as long as this process renews it.
    /// - Returns: whether the claim still held; `nil` when shutdown came first (the lease then runs out
    ///   and the job's next attempt looks in Terrakube first).
    private func record(_ outcome: AttemptOutcome, of job: ClaimedJob, logger: Logger) async -> Bool? {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await self.store.finish(job, outcome: outcome)
            } catch {
                logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
            }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return nil }
            try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// A Terrakube job an earlier, uncertain attempt created: same workspace, template, branch and commit,
    /// created after that attempt started (less the skew allowance), and not recorded for another job.
    private func adoptable(_ job: ClaimedJob) async throws -> String? {
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
                after: delay,
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
