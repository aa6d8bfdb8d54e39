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

    /// Records how an attempt ended, and moves the job on accordingly, in one transaction.
    func finishAttempt(jobID: Int64, outcome: AttemptOutcome, at: Date) async throws

    /// Jobs left "sending" by a process that stopped mid-call go back to pending, marked so that their
    /// next attempt first looks in Terrakube for the job the interrupted call may have created.
    func recoverInterrupted(now: Date) async throws -> [PendingJob]

    /// Which of these Terrakube job ids are already recorded against some job.
    func recordedTerrakubeJobIDs(among ids: [String]) async throws -> Set<String>

    /// Fails when the store cannot take a write (for `/readyz`).
    func checkWritable() async throws

    /// Housekeeping `serve` runs off the accept path (SQLite: a passive WAL checkpoint).
    /// - Returns: whether there was work to do, so that it comes back sooner while the store is busy.
    func maintain() async throws -> Bool

    /// Counts of jobs by state, for tests, metrics and `deliveries list`.
    func jobCounts() async throws -> [JobState: Int]

    /// When the longest-waiting job not yet created or failed was queued; `nil` when there is none.
    func oldestPendingJob() async throws -> Date?

    /// The jobs of one delivery, in the order they were queued, with their attempts.
    func jobs(provider: ProviderKind, deliveryID: String) async throws -> [JobRecord]

    /// The most recent deliveries, newest first, with their jobs.
    func recentDeliveries(limit: Int) async throws -> [DeliverySummary]

    /// Every stored delivery with this provider delivery id (of one provider, or of any).
    func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery]

    /// Queues the delivery's jobs again, as new jobs, on purpose; returns how many.
    func requeueJobs(provider: ProviderKind, deliveryID: String, at: Date) async throws -> Int
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
    /// Terrakube answered 201 (or the job was found there); its job id is recorded.
    case created
    /// Given up, with the reason recorded.
    case failed
}

/// How one attempt to create a job ended.
package enum AttemptOutcome: Sendable, Equatable {
    /// The job exists in Terrakube with this id; `adopted` when it was found there rather than created.
    case created(terrakubeJobID: String, adopted: Bool)
    /// Try again at `nextAttemptAt`. `outcomeUnknown` when the request may have reached Terrakube
    /// (a timeout, a connection lost mid-call): the next attempt looks for the job before creating it.
    case retry(status: Int?, error: String, nextAttemptAt: Date, outcomeUnknown: Bool)
    /// The job will not be created; `error` says why (Terrakube's own detail where it gave one).
    case failed(status: Int?, error: String)
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
    /// An earlier attempt may have created the job: look for it in Terrakube before creating one.
    package var lookFirst: Bool
    /// When the first attempt whose outcome is unknown started; candidates older than this are not ours.
    package var firstUncertainAttemptAt: Date?

    package init(
        id: Int64,
        spec: JobSpec,
        attempts: Int,
        provider: ProviderKind,
        deliveryID: String,
        queuedAt: Date,
        lookFirst: Bool = false,
        firstUncertainAttemptAt: Date? = nil
    ) {
        self.id = id
        self.spec = spec
        self.attempts = attempts
        self.provider = provider
        self.deliveryID = deliveryID
        self.queuedAt = queuedAt
        self.lookFirst = lookFirst
        self.firstUncertainAttemptAt = firstUncertainAttemptAt
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
    package var history: [AttemptRecord]

    package init(
        id: Int64,
        spec: JobSpec,
        state: JobState,
        attempts: Int,
        lastError: String?,
        terrakubeJobID: String?,
        history: [AttemptRecord] = []
    ) {
        self.id = id
        self.spec = spec
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.terrakubeJobID = terrakubeJobID
        self.history = history
    }
}

/// One finished attempt, as `deliveries show` lists it.
package struct AttemptRecord: Sendable, Equatable, Codable {
    package var at: Date
    /// `created`, `adopted`, `retry` or `failed`.
    package var outcome: String
    package var status: Int?
    package var detail: String?

    package init(at: Date, outcome: String, status: Int?, detail: String?) {
        self.at = at
        self.outcome = outcome
        self.status = status
        self.detail = detail
    }
}
