/// What the intake decided for a verified delivery, built whole by ``WebhookIntake``: the record to keep,
/// the jobs it asks for (which the answer counts) and the work it queues for them. The store writes the
/// record and the work as they are; it never expands a plan itself.
package struct DeliveryPlan: Sendable, Equatable {
    package var record: DeliveryRecord
    package var jobs: [JobSpec]
    /// Each job's creation (a pull request's plan once per head commit, superseding its older heads'), and
    /// its first commit status ("Queued") where it has one.
    package var work: [NewWork]
    /// The index into ``jobs`` each item of ``work`` serves, item by item.
    package var workJobs: [Int]
    /// A push's changed refs of a configured repository, with the head each moves (settled against the
    /// remembered heads by the store: ``settled(remembered:)``); empty for any other delivery.
    package var refs: [PlannedRef]
    /// The configured repository the delivery is for (its normalised identity); `nil` when no config names
    /// it. What the metrics' repository label may say: a sender cannot mint label values.
    package var configuredRepository: String?

    package init(
        record: DeliveryRecord,
        jobs: [JobSpec] = [],
        work: [NewWork] = [],
        workJobs: [Int]? = nil,
        refs: [PlannedRef] = [],
        configuredRepository: String? = nil
    ) {
        self.record = record
        self.jobs = jobs
        self.work = work
        self.workJobs = workJobs ?? Array(repeating: 0, count: work.count)
        self.refs = refs
        self.configuredRepository = configuredRepository
    }

    /// The answer once the store has committed this plan.
    package var answer: WebhookAnswer {
        switch self.record.decision {
        case .queue:
            // Nothing left once settled (already queued for its commit): the answer says why.
            .init(
                httpStatus: 202,
                status: "queued",
                delivery: self.record.deliveryID,
                jobs: self.jobs.count,
                reason: self.jobs.isEmpty ? self.record.reason : nil
            )
        case .ignore: .ignored(self.record.deliveryID, reason: self.record.reason)
        }
    }
}
