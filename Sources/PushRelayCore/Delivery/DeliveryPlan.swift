import Foundation

/// A verified delivery and what to do with it: the record `serve` commits before it answers.
package struct DeliveryPlan: Sendable, Equatable {
    package enum Decision: String, Sendable, Codable {
        case queue
        case ignore
    }

    package var provider: ProviderKind
    package var deliveryID: String
    package var event: String
    package var receivedAt: Date
    /// The normalised identity, or the first URL form when none is configured.
    package var repository: String?
    package var ref: String?
    package var decision: Decision
    package var reason: String
    package var jobs: [JobSpec]
    package var signature: SignatureCheck
    /// As received, less headers that carry a secret (a plain token, `Authorization`).
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(
        provider: ProviderKind,
        deliveryID: String,
        event: String,
        receivedAt: Date,
        repository: String?,
        ref: String?,
        decision: Decision,
        reason: String,
        jobs: [JobSpec],
        signature: SignatureCheck,
        headers: [(name: String, value: String)],
        body: [UInt8]
    ) {
        self.provider = provider
        self.deliveryID = deliveryID
        self.event = event
        self.receivedAt = receivedAt
        self.repository = repository
        self.ref = ref
        self.decision = decision
        self.reason = reason
        self.jobs = jobs
        self.signature = signature
        self.headers = headers
        self.body = body
    }

    /// Where each job's commit status goes, by the job's index in ``jobs``; empty without statuses.
    package var statusTargets: [Int: StatusTarget] = [:]
    /// Set when the jobs are a pull request's plans.
    package var pullRequest: PullRequestPlanKey?

    /// What the store queues with the delivery: one Terrakube job creation per job (a pull request's plan
    /// once per head commit, superseding its older heads' plans), and its first commit status ("Queued")
    /// where it has one.
    package var work: [NewWork] {
        self.jobs.enumerated().flatMap { index, job -> [NewWork] in
            let target = self.statusTargets[index]
            var creation = TerrakubeJobWork.work(job, status: target)
            if let pullRequest = self.pullRequest { pullRequest.plan(job, &creation) }
            return [creation] + (target.map { [$0.post(.queued)] } ?? [])
        }
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.provider == rhs.provider && lhs.deliveryID == rhs.deliveryID && lhs.event == rhs.event
            && lhs.receivedAt == rhs.receivedAt && lhs.repository == rhs.repository && lhs.ref == rhs.ref
            && lhs.decision == rhs.decision && lhs.reason == rhs.reason && lhs.jobs == rhs.jobs
            && lhs.signature == rhs.signature && lhs.body == rhs.body
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The answer once the store has committed this plan.
    package var answer: WebhookAnswer {
        switch self.decision {
        case .queue: .queued(self.deliveryID, jobs: self.jobs.count)
        case .ignore: .ignored(self.deliveryID, reason: self.reason)
        }
    }
}
