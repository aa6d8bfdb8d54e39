/// What an attempt's end does to its job: the one place that rule is written, so that every store
/// applies it with the same single `UPDATE` (and one history row) instead of SQL per outcome.
package struct JobTransition: Sendable, Equatable {
    package var state: JobState
    /// Set when the job exists in Terrakube; `nil` leaves the column as it is.
    package var terrakubeJobID: String?
    /// The error shown by `deliveries show`; `nil` clears it.
    package var lastError: String?
    /// When set, the job is due again this long from now (the store's clock).
    package var retryAfter: Duration?
    /// `true`: the next attempt looks in Terrakube first, and the uncertain window starts at this
    /// attempt's start unless it started earlier. `false`: it no longer needs to. `nil`: unchanged.
    package var lookFirst: Bool?
    /// The attempt as the history lists it.
    package var outcome: String
    package var status: Int?
    package var detail: String?

    package init(_ outcome: AttemptOutcome) {
        self.outcome = outcome.name
        switch outcome {
        case .created(let id, _):
            self.state = .created
            self.terrakubeJobID = id
            self.lastError = nil
            self.lookFirst = false
            self.detail = "Terrakube job \(id)"
        case .retry(let status, let error, let after, let unknown):
            self.state = .pending
            self.lastError = error
            self.retryAfter = after
            self.lookFirst = unknown ? true : nil
            self.status = status
            self.detail = error
        case .failed(let status, let error):
            self.state = .failed
            self.lastError = error
            self.status = status
            self.detail = error
        }
    }

    private init(state: JobState, lastError: String?, retryAfter: Duration?, lookFirst: Bool?, outcome: String) {
        self.state = state
        self.lastError = lastError
        self.retryAfter = retryAfter
        self.lookFirst = lookFirst
        self.outcome = outcome
        self.detail = lastError
    }

    /// A job whose owner's lease ran out mid-call: due at once, and looked up in Terrakube before it is sent.
    package static let leaseExpired = JobTransition(
        state: .pending,
        lastError: "the lease ran out during the call (the process stopped or froze)",
        retryAfter: .zero,
        lookFirst: true,
        outcome: "interrupted"
    )

    /// The `look_first` column after this transition, given its value before.
    package func lookFirst(after previous: Bool) -> Bool { self.lookFirst ?? previous }
}
