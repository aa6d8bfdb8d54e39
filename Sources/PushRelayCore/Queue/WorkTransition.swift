/// What an attempt's end does to its item: the one place that rule is written, so that every store
/// applies it with the same single `UPDATE` (and one history row) instead of SQL per outcome.
package struct WorkTransition: Sendable, Equatable {
    package var state: WorkState
    /// The kind's result; `nil` leaves the column as it is.
    package var result: String?
    /// The error shown by `deliveries show`; `nil` clears it.
    package var lastError: String?
    /// When set, the item is due again this long from now (the store's clock).
    package var retryAfter: Duration?
    /// `true`: the next attempt is uncertain, and the uncertain window starts at this attempt's start
    /// unless it started earlier. `false`: it no longer is. `nil`: unchanged.
    package var uncertain: Bool?
    /// The attempt as the history lists it.
    package var outcome: String
    package var status: Int?
    package var detail: String?
    /// Work queued with this transition, as the item's children.
    package var next: [NewWork]
    /// The item's new payload; `nil` keeps it.
    package var payload: [UInt8]?
    /// Whether the attempt counts and is listed in the history (all but a reschedule).
    package var recordsAttempt = true

    package init(_ outcome: WorkOutcome) {
        self.outcome = outcome.name
        self.next = outcome.next
        switch outcome {
        case .done(let result, _, let detail, _):
            self.state = .done
            self.result = result
            self.lastError = nil
            self.uncertain = false
            self.detail = detail
        case .retry(let status, let error, let after, let unknown):
            self.state = .pending
            self.lastError = error
            self.retryAfter = after
            self.uncertain = unknown ? true : nil
            self.status = status
            self.detail = error
        case .failed(let status, let error, _):
            self.state = .failed
            self.lastError = error
            self.status = status
            self.detail = error
        case .reschedule(let payload, let after, _):
            self.state = .pending
            self.retryAfter = after
            self.payload = payload
            self.recordsAttempt = false
        }
    }

    private init(state: WorkState, lastError: String?, retryAfter: Duration?, uncertain: Bool?, outcome: String) {
        self.state = state
        self.lastError = lastError
        self.retryAfter = retryAfter
        self.uncertain = uncertain
        self.outcome = outcome
        self.detail = lastError
        self.next = []
    }

    /// An item whose owner's lease ran out mid-attempt: due at once, and uncertain.
    package static let leaseExpired = WorkTransition(
        state: .pending,
        lastError: "the lease ran out during the attempt (the process stopped or froze)",
        retryAfter: .zero,
        uncertain: true,
        outcome: "interrupted"
    )
}
