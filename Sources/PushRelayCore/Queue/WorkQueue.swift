import Foundation

/// The work queue the dispatchers of every process sharing a store take work from. It knows kinds and
/// payloads, never what a kind does (see ``WorkKind``).
///
/// A claim makes its owner the only one working on that item, for the length of a lease, and carries a
/// fencing token (``ClaimedWork/fence``) that every later claim of the same item increases. Owners renew
/// their leases while their work runs; a lease that runs out (its owner died or froze) is rescued by any
/// process, and the item's next attempt is marked uncertain, so that its handler can find out what the lost
/// attempt did (SPEC section 6). A finish with a stale token changes nothing, so an owner that wakes after
/// its item was taken over cannot write over the new owner's work. All times are the store's own clock.
///
/// An item queued with a key (``NewWork/key``) is the only one of its kind with that key, so that a
/// newer desired state replaces an older one not yet acted on, and two attempts for one key never run at
/// once. Queuing it again: a pending, done or failed item takes the new payload and is due as the new
/// work says, its attempts counted afresh; a running one takes it once its attempt ends, whatever the
/// outcome (the attempt is still recorded), and is due at once. Its result stays, for the next attempt
/// to read (``ClaimedWork/result``).
package protocol WorkQueue: Sendable {
    /// Takes up to `limit` due items of these kinds for `owner`, marking them running, each leased for
    /// `lease`; the longest-due first.
    func claim(owner: String, kinds: [WorkKind], limit: Int, lease: Duration) async throws -> [ClaimedWork]

    /// Records how an attempt ended, moves the item on and queues the work that follows it (children of
    /// the item, from the same delivery), all in one transaction: a crash between them cannot lose the
    /// follow-up.
    /// - Returns: `false` when the claim is stale (the lease ran out and the item was rescued, maybe
    ///   claimed again): nothing was written.
    @discardableResult
    func finish(_ work: ClaimedWork, outcome: WorkOutcome) async throws -> Bool

    /// Extends the leases of every item `owner` is running: one statement, however many.
    /// - Returns: how many leases were renewed.
    @discardableResult
    func renewLeases(owner: String, lease: Duration) async throws -> Int

    /// Hands back claims whose attempt never started (a shutdown), as if they had not been claimed.
    func release(_ work: [ClaimedWork]) async throws

    /// Items whose lease has run out go back to pending, marked uncertain. Safe to run from any process at
    /// any time.
    /// - Returns: how many were rescued.
    @discardableResult
    func rescueExpiredLeases() async throws -> Int

    /// Which of these results some item of `kind` has already recorded (results are unique per kind).
    func recordedResults(of kind: WorkKind, among results: [String]) async throws -> Set<String>

    /// Makes the unfinished item of `kind` with `key` due now (one running is left to its attempt).
    /// - Returns: whether there is such an item.
    func hasten(kind: WorkKind, key: String) async throws -> Bool

    /// Queues work that no delivery brought (missed-push recovery's rounds), by the same rules as a
    /// delivery's; its follow-ups belong to no delivery either.
    func enqueue(_ work: [NewWork]) async throws
}

package enum WorkState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending
    /// Claimed by a dispatcher; an attempt may be in flight.
    case running
    /// Finished; its result (if the kind has one) is recorded.
    case done
    /// Given up, with the reason recorded.
    case failed
    /// Dropped before it was done: a newer item of its group was queued (``NewWork/group``).
    case superseded

    /// Done, failed or superseded: nothing more will happen to it.
    package var isFinished: Bool { self == .done || self == .failed || self == .superseded }
}

/// How one attempt ended, as the kind's handler says.
package enum WorkOutcome: Sendable, Equatable {
    /// Finished. `result` is recorded (unique among the kind's items where the kind says so: a Terrakube
    /// job id); `label` is the attempt's word in the history; `next` is queued as the item's children.
    case done(result: String?, label: DoneLabel, detail: String?, next: [NewWork] = [])
    /// Try again `after` this long. `outcomeUnknown` when the attempt may have had its effect (a timeout, a
    /// connection lost mid-call): the next attempt is marked uncertain.
    case retry(status: Int?, error: String, after: Duration, outcomeUnknown: Bool)
    /// Given up; `error` says why. `next` is queued as the item's children (a status saying so).
    case failed(status: Int?, error: String, next: [NewWork] = [])
    /// Not finished, nothing failed: due again `after` this long, with `payload` (if given) as what it
    /// knows now. The attempt is neither counted nor listed in the history (following a Terrakube job polls
    /// it thousands of times).
    case reschedule(payload: [UInt8]?, after: Duration, next: [NewWork] = [])

    /// The attempt's word in the history and in `/metrics`.
    package var name: String {
        switch self {
        case .done(_, let label, _, _): label.description
        case .retry: "retry"
        case .failed: "failed"
        case .reschedule: "rescheduled"
        }
    }

    /// The work this outcome queues.
    package var next: [NewWork] {
        switch self {
        case .done(_, _, _, let next), .failed(_, _, let next), .reschedule(_, _, let next): next
        case .retry: []
        }
    }

    /// The outcome with `work` queued after it too; a retry queues nothing, its next attempt will.
    package func followed(by work: NewWork) -> WorkOutcome {
        switch self {
        case .done(let result, let label, let detail, let next):
            .done(result: result, label: label, detail: detail, next: next + [work])
        case .failed(let status, let error, let next): .failed(status: status, error: error, next: next + [work])
        case .reschedule(let payload, let after, let next):
            .reschedule(payload: payload, after: after, next: next + [work])
        case .retry: self
        }
    }
}

/// How a finished attempt is listed: what the kind did.
package enum DoneLabel: Sendable, Equatable, CustomStringConvertible {
    /// What it was for is done (a kind with nothing more to say).
    case done
    /// A Terrakube job created.
    case created
    /// A Terrakube job an earlier, uncertain attempt had created, found and taken.
    case adopted
    /// A commit status sent to the host.
    case posted
    /// A commit status already on the commit as the last post left it: nothing sent.
    case unchanged
    /// A followed job Terrakube no longer has.
    case missing
    /// A followed job still not ended when following stopped (6 hours).
    case expired
    /// A followed job that ended in Terrakube, in Terrakube's word for how (`completed`, `failed`, …).
    case ended(String)

    package var description: String {
        switch self {
        case .done: "done"
        case .created: "created"
        case .adopted: "adopted"
        case .posted: "posted"
        case .unchanged: "unchanged"
        case .missing: "missing"
        case .expired: "expired"
        case .ended(let state): state
        }
    }
}

/// An item claimed for running.
package struct ClaimedWork: Sendable, Equatable {
    package var id: Int64
    /// This claim's fencing token: a finish is taken only while the item's token is still this one.
    package var fence: Int64
    package var kind: WorkKind
    package var payload: [UInt8]
    /// Attempts made before this one.
    package var attempts: Int
    /// The delivery the item came from; `nil` (and an empty id) for work no delivery brought.
    package var provider: ProviderKind?
    package var deliveryID: String
    package var queuedAt: Date
    /// An earlier attempt may have had its effect: the handler must find out before acting again.
    package var uncertain: Bool
    /// When the first attempt whose outcome is unknown started.
    package var uncertainSince: Date?
    /// What the item last recorded: a keyed item keeps it when it is queued again.
    package var result: String?

    package init(
        id: Int64,
        fence: Int64,
        kind: WorkKind,
        payload: [UInt8],
        attempts: Int,
        provider: ProviderKind?,
        deliveryID: String,
        queuedAt: Date,
        uncertain: Bool = false,
        uncertainSince: Date? = nil,
        result: String? = nil
    ) {
        self.result = result
        self.id = id
        self.fence = fence
        self.kind = kind
        self.payload = payload
        self.attempts = attempts
        self.provider = provider
        self.deliveryID = deliveryID
        self.queuedAt = queuedAt
        self.uncertain = uncertain
        self.uncertainSince = uncertainSince
    }
}

/// An item as the store knows it, for `deliveries show` and tests.
package struct WorkRecord: Sendable, Equatable {
    package var id: Int64
    /// The item whose outcome queued this one; `nil` for work the delivery itself queued.
    package var parent: Int64?
    package var kind: WorkKind
    package var payload: [UInt8]
    package var state: WorkState
    package var attempts: Int
    package var lastError: String?
    package var result: String?
    package var history: [AttemptRecord]

    package init(
        id: Int64,
        parent: Int64? = nil,
        kind: WorkKind,
        payload: [UInt8],
        state: WorkState,
        attempts: Int,
        lastError: String?,
        result: String?,
        history: [AttemptRecord] = []
    ) {
        self.id = id
        self.parent = parent
        self.kind = kind
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.result = result
        self.history = history
    }
}

/// One finished attempt, as `deliveries show` lists it.
package struct AttemptRecord: Sendable, Equatable, Codable {
    package var at: Date
    /// The outcome's ``WorkOutcome/name``, or `interrupted` (its lease ran out during the attempt).
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
