import Foundation

/// One delivery read, matched to its repository, verified and decided, with nothing stored or sent: the
/// accept path that `serve` (``WebhookIntake``) and `replay --dry-run` (``ReplayEvaluation``) both run, so
/// that a dry run shows each decision exactly as `serve` takes it.
///
/// The order matters: the payload is read only far enough to choose which secret to use, and the signature
/// is checked before any decision is trusted.
package struct DeliveryAssessment: Sendable {
    package var delivery: ProviderDelivery
    package var repository: RepositoryConfig?
    package var signature: SignatureCheck
    /// Why `serve` refuses this verified delivery with a `400` (a ref Git itself would refuse); `nil` when
    /// it does not.
    package var refusal: String?
    /// The decision per changed ref (one for a pull request, a ping or another event); none for a
    /// delivery that does not verify, unless asked for.
    package var refs: [RefDecision]

    /// - Parameters:
    ///   - checksSignature: `false` when the bytes are not the ones signed (an API delivery object
    ///     re-serialised): the signature is then `not-checked`.
    ///   - decidesUnverified: decide a delivery whose signature does not verify too (a dry run reports the
    ///     signature beside the decision); `serve` refuses it undecided, so that an unsigned flood costs
    ///     no routing.
    /// - Throws: the reason for a `400` when the body is not the provider's payload.
    package static func assess(
        provider: any WebhookProvider,
        headers: WebhookHeaders,
        body: [UInt8],
        config: RelayConfig,
        checksSignature: Bool = true,
        decidesUnverified: Bool = false,
        now: Date
    ) throws(PayloadError) -> DeliveryAssessment {
        let delivery = try provider.read(headers: headers, body: body)
        guard delivery.deliveryID.utf8.count <= 256 else { throw PayloadError("delivery id longer than 256 bytes") }
        let repository = config.repository(for: delivery.event)
        let signature =
            checksSignature
            ? config.credentials(for: repository).check(provider, headers: headers, body: body, now: now) : .notChecked
        var assessment = DeliveryAssessment(
            delivery: delivery,
            repository: repository,
            signature: signature,
            refusal: nil,
            refs: []
        )
        guard decidesUnverified || signature == .valid || signature == .notChecked else { return assessment }
        assessment.refusal = Self.refusal(delivery.event)
        assessment.refs = DeliveryDecision.decide(
            delivery.event,
            repository: repository,
            organization: config.settings.terrakube.organization,
            via: provider.kind.via
        )
        return assessment
    }

    /// Verified, but still the sender's text: a ref Git would refuse is refused before anything is stored,
    /// and never reaches Terrakube as `overrideBranch`.
    private static func refusal(_ event: WebhookEvent) -> String? {
        switch event.kind {
        case .push(let pushes):
            for push in pushes {
                if let problem = RefNameRules.problem(in: push.ref.name) {
                    return "pushed ref is not a valid Git ref name: \(problem)"
                }
            }
        case .pullRequest(let pull):
            for branch in [pull.sourceBranch, pull.targetBranch] {
                if let problem = RefNameRules.problem(in: "refs/heads/" + branch) {
                    return "pull request branch is not a valid Git ref name: \(problem)"
                }
            }
        case .ping, .other, .incompletePullRequest: break
        }
        return nil
    }
}
