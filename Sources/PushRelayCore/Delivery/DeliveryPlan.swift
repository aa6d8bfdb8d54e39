/// What the intake decided for a verified delivery, built whole by ``WebhookIntake``: the record to keep,
/// the jobs it asks for (which the answer counts) and the work it queues for them. The store writes the
/// record and the work as they are; it never expands a plan itself.
package struct DeliveryPlan: Sendable, Equatable {
    package var record: DeliveryRecord
    package var jobs: [JobSpec]
    /// Each job's creation (a pull request's plan once per head commit, superseding its older heads'), and
    /// its first commit status ("Queued") where it has one.
    package var work: [NewWork]

    package init(record: DeliveryRecord, jobs: [JobSpec] = [], work: [NewWork] = []) {
        self.record = record
        self.jobs = jobs
        self.work = work
    }

    /// The answer once the store has committed this plan.
    package var answer: WebhookAnswer {
        switch self.record.decision {
        case .queue: .queued(self.record.deliveryID, jobs: self.jobs.count)
        case .ignore: .ignored(self.record.deliveryID, reason: self.record.reason)
        }
    }
}
