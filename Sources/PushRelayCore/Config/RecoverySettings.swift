/// `recovery` (SPEC section 12): how often each repository's heads are compared with what PushRelay last
/// saw, and where the hosts' failed deliveries are sent again. Absent, or `poll_seconds: 0`: off.
package struct RecoverySettings: Sendable, Equatable {
    /// Between two rounds of one repository, before up to 10% of jitter.
    package var pollSeconds: Double
    /// `redeliver_url`: the hooks (GitHub, GitLab) whose URL starts with it have their failed deliveries
    /// resent; `nil`: none are.
    package var redeliverURL: String?

    package static let defaultPollSeconds = 300.0

    package init(pollSeconds: Double = RecoverySettings.defaultPollSeconds, redeliverURL: String? = nil) {
        self.pollSeconds = pollSeconds
        self.redeliverURL = redeliverURL
    }
}
