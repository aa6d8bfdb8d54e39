import Foundation

/// What a repository's advertised heads say that no webhook did (SPEC section 12), as the pushes a webhook
/// would have brought; pure, so that the rule is read in one place.
package enum MissedPushes {
    /// A branch or tag whose head differs from the remembered one, one that appeared (created), and one
    /// remembered that is gone (deleted), in ref order. Only the newest head is seen: pushes in between
    /// are one push.
    package static func find(advertised: [String: String], remembered: [String: String]) -> [PushEvent] {
        var pushes: [PushEvent] = []
        for (ref, commit) in advertised.sorted(by: { $0.key < $1.key }) where remembered[ref] != commit {
            let before = remembered[ref].flatMap { $0 == HeadMove.deleted ? nil : $0 }
            pushes.append(
                PushEvent(
                    ref: GitRef(ref),
                    commit: commit,
                    deleted: false,
                    changedFiles: nil,
                    changedFilesUnknownReason: "recovered from the host's refs, which list no files",
                    headCommitMessage: nil,
                    previousCommit: before
                )
            )
        }
        for (ref, commit) in remembered.sorted(by: { $0.key < $1.key })
        where advertised[ref] == nil && commit != HeadMove.deleted && Self.isBranchOrTag(ref) {
            pushes.append(
                PushEvent(
                    ref: GitRef(ref),
                    commit: nil,
                    deleted: true,
                    changedFiles: [],
                    headCommitMessage: nil,
                    previousCommit: commit
                )
            )
        }
        return pushes
    }

    private static func isBranchOrTag(_ ref: String) -> Bool {
        ref.hasPrefix("refs/heads/") || ref.hasPrefix("refs/tags/")
    }

    /// A recovered push's delivery id: `recovered:{ref}@{sha}` (`@deleted` for a deletion), the same on
    /// every replica, so that two rounds finding one push record it once.
    package static func deliveryID(of push: PushEvent) -> String {
        "recovered:\(push.ref.name)@\(push.commit ?? "deleted")"
    }
}

extension DeliveryAssessment {
    /// A push that recovery found, decided as its webhook would be (the same routes, rules and `on_delete`):
    /// no signature to check (`polled`), and no payload beyond the push itself. `nil` for a ref name Git
    /// itself would refuse.
    package static func recovered(
        _ push: PushEvent,
        target: RecoveryTarget,
        config: RelayConfig
    ) -> DeliveryAssessment? {
        guard RefNameRules.problem(in: push.ref.name) == nil else { return nil }
        let event = WebhookEvent(kind: .push([push]), repositoryURLs: [target.repository.identity.description])
        return DeliveryAssessment(
            delivery: ProviderDelivery(eventName: "push", deliveryID: MissedPushes.deliveryID(of: push), event: event),
            repository: target.repository,
            signature: .polled,
            refusal: nil,
            refs: DeliveryDecision.decide(
                event,
                repository: target.repository,
                organization: config.settings.terrakube.organization,
                via: target.provider.via
            )
        )
    }
}
