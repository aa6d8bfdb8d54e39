/// What the intake decided for a verified delivery, built whole by ``WebhookIntake``: the record to keep,
/// the jobs it asks for (which the answer counts) and the work it queues for them. The store writes the
/// record and the work as they are; it never expands a plan itself.
package struct DeliveryPlan: Sendable, Equatable {
    package var record: DeliveryRecord
    package var jobs: [JobSpec]
    /// Each job's creation (a pull request's plan once per head commit, superseding its older heads'), and
    /// its first commit status ("Queued") where it has one.
    package var work: [NewWork]
    /// The configured repository the delivery is for (its normalised identity); `nil` when no config names
    /// it. What the metrics' repository label may say: a sender cannot mint label values.
    package var configuredRepository: String?

    package init(
        record: DeliveryRecord,
        jobs: [JobSpec] = [],
        work: [NewWork] = [],
        configuredRepository: String? = nil
    ) {
        self.record = record
        self.jobs = jobs
        self.work = work
        self.configuredRepository = configuredRepository
    }

    /// The answer once the store has committed this plan.
    package var answer: WebhookAnswer {
        switch self.record.decision {
        case .queue: .queued(self.record.deliveryID, jobs: self.jobs.count)
        case .ignore: .ignored(self.record.deliveryID, reason: self.record.reason)
        }
    }
}
