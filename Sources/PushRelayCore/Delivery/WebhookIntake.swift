import Foundation

/// The accept path, minus I/O: find the repository, verify, parse, route. `serve` and `replay` share it.
///
/// The order matters: the payload is read only far enough to choose which secret to use, and the
/// signature is checked before any decision is made or any dedupe look-up tells a caller what was seen.
package struct WebhookIntake: Sendable {
    package enum Outcome: Sendable, Equatable {
        /// Refused before anything is stored.
        case reject(WebhookAnswer)
        /// Verified; store it, then answer ``DeliveryPlan/answer`` (or `duplicate`).
        case accept(DeliveryPlan)
    }

    package let config: RelayConfig

    package init(config: RelayConfig) {
        self.config = config
    }

    package func evaluate(
        provider: any WebhookProvider,
        headers: WebhookHeaders,
        body: [UInt8],
        receivedAt: Date = Date()
    ) -> Outcome {
        let delivery: ProviderDelivery
        do {
            delivery = try provider.read(headers: headers, body: body)
        } catch {
            return .reject(.error(400, error.reason))
        }
        guard delivery.deliveryID.utf8.count <= 256 else {
            return .reject(.error(400, "delivery id longer than 256 bytes"))
        }
        let event = delivery.event
        let eventName = delivery.eventName
        let deliveryID = delivery.deliveryID

        let repository = self.config.repository(for: event)
        let signature: SignatureCheck
        if let repository, repository.insecureNoSignature {
            signature = .notChecked
        } else if let repository {
            signature = provider.authenticate(
                headers: headers,
                body: body,
                secrets: repository.secrets,
                options: repository.signatureOptions,
                now: receivedAt
            )
        } else {
            // Unknown repository: only the default secret may vouch for it, and then there is nothing to do.
            // Without one, a secret no sender knows takes its place, so that the work done and the answer
            // given are those of a configured repository's wrong signature.
            let defaults = self.config.settings.defaultSecrets
            signature = provider.authenticate(
                headers: headers,
                body: body,
                secrets: defaults.isEmpty ? [Self.decoy] : defaults,
                now: receivedAt
            )
        }
        // The same status and reason whether or not the repository is configured: an unauthenticated
        // client cannot tell which repositories drive Terrakube.
        switch signature {
        case .valid, .notChecked: break
        case .absent: return .reject(.error(401, "missing \(provider.signatureHeaderName) header"))
        case .invalid: return .reject(.error(401, "\(provider.signatureHeaderName) does not verify"))
        }

        // Verified, but still the sender's text: a ref Git would refuse is refused here, before anything is stored.
        if case .push(let pushes) = event.kind {
            for push in pushes {
                if let problem = RefNameRules.problem(in: push.ref.name) {
                    return .reject(.error(400, "pushed ref is not a valid Git ref name: \(problem)"))
                }
            }
        }

        var plan = DeliveryPlan(
            provider: provider.kind,
            deliveryID: deliveryID,
            event: eventName,
            receivedAt: receivedAt,
            repository: (repository?.identity ?? event.repositoryIdentities.first)?.description,
            ref: nil,
            decision: .ignore,
            reason: "",
            jobs: [],
            signature: signature,
            headers: Self.storable(headers, provider: provider),
            body: body
        )
        let refs = DeliveryDecision.decide(
            event,
            repository: repository,
            organization: self.config.settings.terrakube.organization,
            via: provider.kind.via
        )
        let names = refs.compactMap(\.ref?.name)
        plan.ref = names.isEmpty ? nil : names.joined(separator: ",")
        // Two refs asking for the same job create it once.
        for job in refs.flatMap(\.jobs) where !plan.jobs.contains(job) { plan.jobs.append(job) }
        var reasons: [String] = []
        for reason in refs.map(\.reason) where !reasons.contains(reason) { reasons.append(reason) }
        plan.reason = reasons.joined(separator: "; ")
        plan.decision = plan.jobs.isEmpty ? .ignore : .queue
        if let repository { plan.statusTargets = self.statusTargets(plan.jobs, repository: repository) }
        // Kept for its id (dedupe) and decision, not its body: what a holder of the default secret sends
        // for repositories no config names must not fill the store.
        if repository == nil { plan.body = [] }
        return .accept(plan)
    }

    /// Where each job's status goes: the repository's host has a `status.hosts` entry, and the
    /// repository has not turned statuses off.
    private func statusTargets(_ jobs: [JobSpec], repository: RepositoryConfig) -> [Int: StatusTarget] {
        let settings = self.config.settings
        guard settings.statusHost(for: repository) != nil, let status = settings.status,
            let uiURL = settings.terrakube.uiURL
        else { return [:] }
        var targets: [Int: StatusTarget] = [:]
        for (index, job) in jobs.enumerated() {
            let name = repository.routes.first { $0.workspace == job.workspace }?.workspaceName ?? job.workspace
            targets[index] = StatusTarget(
                host: repository.identity.host,
                repository: repository.identity.spelledPath,
                commit: job.commitID,
                context: "\(status.context)/\(name)",
                organization: job.organization,
                workspace: job.workspace,
                uiURL: uiURL
            )
        }
        return targets
    }

    /// Stands in for a default secret where there is none: random, never told to anyone.
    private static let decoy = WebhookSecret(
        String((0..<32).map { _ in "0123456789abcdef".randomElement()! })
    )

    /// Headers worth keeping for `deliveries show` and `export`, less any that carry a secret.
    private static func storable(
        _ headers: WebhookHeaders,
        provider: any WebhookProvider
    ) -> [(name: String, value: String)] {
        let secret = ["authorization", "proxy-authorization", "cookie"] + provider.secretHeaderNames
        return headers.fields.filter { field in !secret.contains { WebhookHeaders.sameName($0, field.name) } }
    }
}
