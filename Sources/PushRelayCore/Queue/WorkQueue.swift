import Foundation

/// The work queue the dispatchers of every process sharing a store take jobs from.
///
/// A claim makes its owner the only one sending that job, for the length of a lease, and carries a fencing
/// token (``ClaimedJob/fence``) that every later claim of the same job increases. Owners renew their leases
/// while their calls run; a lease that runs out (its owner died or froze) is rescued by any process, and the
/// job's next attempt first looks in Terrakube for what the lost attempt may have created (SPEC section 6).
/// A finish with a stale token changes nothing, so an owner that wakes after its job was taken over cannot
/// write over the new owner's work. All times are the store's own clock, never the callers'.
package protocol JobQueue: Sendable {
    /// Takes up to `limit` due jobs for `owner`, marking them as being sent, each leased for `lease`.
    func claim(owner: String, limit: Int, lease: Duration) async throws -> [ClaimedJob]

    /// Records how an attempt ended and moves the job on, in one transaction.
    /// - Returns: `false` when the claim is stale (the lease ran out and the job was rescued, maybe
    ///   claimed again): nothing was written.
    @discardableResult
    func finish(_ job: ClaimedJob, outcome: AttemptOutcome) async throws -> Bool

    /// Extends the leases of every job `owner` is sending: one statement, however many jobs.
    /// - Returns: how many leases were renewed.
    @discardableResult
    func renewLeases(owner: String, lease: Duration) async throws -> Int

    /// Hands back claims whose attempt never started (a shutdown), as if they had not been claimed.
    func release(_ jobs: [ClaimedJob]) async throws

    /// Jobs whose lease has run out go back to pending, marked so that their next attempt first looks in
    /// Terrakube for the job the lost attempt may have created. Safe to run from any process at any time.
    /// - Returns: how many were rescued.
    @discardableResult
    func rescueExpiredLeases() async throws -> Int

    /// Which of these Terrakube job ids are already recorded against some job.
    func recordedTerrakubeJobIDs(among ids: [String]) async throws -> Set<String>
}

package enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending
    /// Claimed by a dispatcher; an attempt may be in flight.
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
    /// Try again `after` this long (from the store's clock). `outcomeUnknown` when the request may have
    /// reached Terrakube (a timeout, a connection lost mid-call): the next attempt looks for the job first.
    case retry(status: Int?, error: String, after: Duration, outcomeUnknown: Bool)
    /// The job will not be created; `error` says why (Terrakube's own detail where it gave one).
    case failed(status: Int?, error: String)

    /// The word `deliveries show` and the attempt history use.
    package var name: String {
        switch self {
        case .created(_, let adopted): adopted ? "adopted" : "created"
        case .retry: "retry"
        case .failed: "failed"
        }
    }
}

/// A job claimed for sending.
package struct ClaimedJob: Sendable, Equatable {
    package var id: Int64
    /// This claim's fencing token: a finish is taken only while the job's token is still this one.
    package var fence: Int64
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
        fence: Int64,
        spec: JobSpec,
        attempts: Int,
        provider: ProviderKind,
        deliveryID: String,
        queuedAt: Date,
        lookFirst: Bool = false,
        firstUncertainAttemptAt: Date? = nil
    ) {
        self.id = id
        self.fence = fence
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
    /// `created`, `adopted`, `retry`, `failed`, or `interrupted` (its lease ran out during the call).
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
