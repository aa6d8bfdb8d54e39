import Foundation

/// The durable queue behind `serve`: deliveries with their decision, and the jobs they owe Terrakube.
///
/// Implementations must have committed a delivery and its jobs durably before ``record(_:)`` returns:
/// the webhook is answered `202` on the strength of it.
package protocol DeliveryStore: Sendable {
    /// Stores a verified delivery and its pending jobs in one transaction.
    /// - Returns: ``RecordResult/duplicate`` when this provider's delivery id is already stored; nothing
    ///   is written then.
    func record(_ plan: DeliveryPlan) async throws -> RecordResult

    /// Takes up to `limit` pending jobs whose time has come and marks them as being sent.
    func claimDueJobs(limit: Int, now: Date) async throws -> [PendingJob]

    /// The job exists in Terrakube with this id.
    func markCreated(jobID: Int64, terrakubeJobID: String, at: Date) async throws

    /// The attempt failed in a way worth retrying; try again at `nextAttemptAt`.
    func markRetry(jobID: Int64, error: String, nextAttemptAt: Date) async throws

    /// The job will not be created; `error` says why (Terrakube's own detail where it gave one).
    func markFailed(jobID: Int64, error: String, at: Date) async throws

    /// Jobs left "sending" by a process that stopped mid-call; returned to pending, and returned here.
    func recoverInterrupted(now: Date) async throws -> [PendingJob]

    /// Fails when the store cannot take a write (for `/readyz`).
    func checkWritable() async throws

    /// Counts of jobs by state, for tests, metrics and `deliveries list`.
    func jobCounts() async throws -> [JobState: Int]

    /// The jobs of one delivery, in the order they were queued.
    func jobs(provider: ProviderKind, deliveryID: String) async throws -> [JobRecord]
}

package enum RecordResult: Sendable, Equatable {
    case recorded(Int64)
    case duplicate
}

package enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending
    /// Claimed by the dispatcher; an attempt may be in flight.
    case sending
    /// Terrakube answered 201; its job id is recorded.
    case created
    /// Given up, with the reason recorded.
    case failed
}

/// A job claimed for sending.
package struct PendingJob: Sendable, Equatable {
    package var id: Int64
    package var spec: JobSpec
    /// Attempts made before this one.
    package var attempts: Int
    package var provider: ProviderKind
    package var deliveryID: String
    package var queuedAt: Date

    package init(id: Int64, spec: JobSpec, attempts: Int, provider: ProviderKind, deliveryID: String, queuedAt: Date) {
        self.id = id
        self.spec = spec
        self.attempts = attempts
        self.provider = provider
        self.deliveryID = deliveryID
        self.queuedAt = queuedAt
    }
}

/// A job as the store knows it, for `deliveries show` and tests.
package struct JobRecord: Sendable, Equatable {
    package var id: Int64
    package var spec: JobSpec
    package var state: JobState
    package var attempts: Int
    package var lastError: String?
    package var terrakubeJobID: String?

    package init(id: Int64, spec: JobSpec, state: JobState, attempts: Int, lastError: String?, terrakubeJobID: String?)
    {
        self.id = id
        self.spec = spec
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.terrakubeJobID = terrakubeJobID
    }
}
