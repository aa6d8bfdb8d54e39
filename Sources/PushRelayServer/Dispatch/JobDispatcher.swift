import Foundation
import Logging
import PushRelayCore
import ServiceLifecycle

/// Creates the Terrakube jobs that the webhook handler committed, several calls at a time, retrying
/// with backoff. It runs until graceful shutdown; calls already in flight then finish and are recorded.
package struct JobDispatcher<Store: DeliveryStore, API: TerrakubeAPI>: Service {
    package let store: Store
    package let api: API
    package let wake: DispatchWakeUp
    package let logger: Logger
    package var concurrency: Int
    package var retry: RetryPolicy
    /// How long to sleep when nothing is due and no webhook wakes us (retries coming due are found then).
    package var idleDelay: Duration = .milliseconds(500)

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
            self.logger.warning("Resuming jobs interrupted by a stop", metadata: ["relay.jobs": "\(interrupted.count)"])
        }
        while !Task.isShuttingDownGracefully {
            let jobs: [PendingJob]
            do {
                jobs = try await self.store.claimDueJobs(limit: self.concurrency, now: Date())
            } catch {
                self.logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
                await self.pause()
                continue
            }
            if jobs.isEmpty {
                await self.pause()
                continue
            }
            // Not cancelled on shutdown: a call that has started is finished and its outcome recorded.
            await withDiscardingTaskGroup { group in
                for job in jobs {
                    group.addTask { await self.process(job) }
                }
            }
        }
    }

    private func pause() async {
        let wake = self.wake
        let delay = self.idleDelay
        // Returns early on graceful shutdown; `try?` drops the CancellationError that brings.
        try? await cancelWhenGracefulShutdown { await wake.wait(upTo: delay) }
    }

    private func process(_ job: PendingJob) async {
        var logger = self.logger
        logger[metadataKey: "relay.job.id"] = "\(job.id)"
        logger[metadataKey: "relay.delivery.id"] = "\(job.deliveryID)"
        logger[metadataKey: "relay.workspace"] = "\(job.spec.workspace)"
        let attempt = job.attempts + 1
        do {
            let terrakubeID: String
            do {
                terrakubeID = try await self.api.createJob(job.spec)
            } catch {
                try await self.recordFailure(error, job: job, attempt: attempt, logger: logger)
                return
            }
            try await self.store.markCreated(jobID: job.id, terrakubeJobID: terrakubeID, at: Date())
            logger.info(
                "Job created",
                metadata: ["relay.terrakube.job": "\(terrakubeID)", "relay.attempt": "\(attempt)"]
            )
        } catch {
            // The outcome could not be recorded; the job stays "sending" and is resumed at the next start.
            logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
        }
    }

    private func recordFailure(_ failure: TerrakubeFailure, job: PendingJob, attempt: Int, logger: Logger) async throws
    {
        switch failure {
        case .permanent:
            try await self.store.markFailed(jobID: job.id, error: failure.description, at: Date())
            logger.error("Job failed", metadata: ["relay.error": "\(failure)", "relay.attempt": "\(attempt)"])
        case .retryable(_, _, let retryAfter):
            if attempt >= self.retry.maxAttempts {
                let reason = "gave up after \(attempt) attempts; last: \(failure)"
                try await self.store.markFailed(jobID: job.id, error: reason, at: Date())
                logger.error("Job failed", metadata: ["relay.error": "\(reason)"])
                return
            }
            let delay = self.retry.delay(afterAttempts: attempt, retryAfter: retryAfter)
            try await self.store.markRetry(
                jobID: job.id,
                error: failure.description,
                nextAttemptAt: Date().addingTimeInterval(delay.seconds)
            )
            logger.warning(
                "Terrakube call failed; will retry",
                metadata: ["relay.error": "\(failure)", "relay.attempt": "\(attempt)", "relay.retry.in": "\(delay)"]
            )
        }
    }
}
