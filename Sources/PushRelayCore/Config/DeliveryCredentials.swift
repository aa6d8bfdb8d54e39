import Foundation

/// What may vouch for a delivery: the one rule `serve`, `replay --dry-run` and `replay --to` share.
package struct DeliveryCredentials: Sendable {
    /// `nil`: the repository says `insecure_no_signature: true`, and nothing is checked.
    package var secrets: [WebhookSecret]?
    package var options: SignatureOptions
    /// What `replay --to` signs with: the first configured secret (the new one, during a rotation); `nil`
    /// when none is configured or none is checked.
    package var signingSecret: WebhookSecret?

    /// Checks the delivery's signature or token over its raw bytes.
    package func check(
        _ provider: any WebhookProvider,
        headers: WebhookHeaders,
        body: [UInt8],
        now: Date
    ) -> SignatureCheck {
        guard let secrets else { return .notChecked }
        return provider.authenticate(headers: headers, body: body, secrets: secrets, options: self.options, now: now)
    }

    /// Stands in for a default secret where there is none: random, never told to anyone.
    fileprivate static let decoy = WebhookSecret(
        String((0..<32).map { _ in "0123456789abcdef".randomElement()! })
    )
}

extension RelayConfig {
    /// A configured repository's own secrets (or the default ones it inherited). A repository no file names
    /// is vouched for by the default secret only, and then there is nothing to do; without one, a secret
    /// no sender knows takes its place, so that the work done and the answer given are those of a
    /// configured repository's wrong signature.
    package func credentials(for repository: RepositoryConfig?) -> DeliveryCredentials {
        if let repository {
            if repository.insecureNoSignature {
                return DeliveryCredentials(secrets: nil, options: repository.signatureOptions, signingSecret: nil)
            }
            return DeliveryCredentials(
                secrets: repository.secrets,
                options: repository.signatureOptions,
                signingSecret: repository.secrets.first
            )
        }
        let defaults = self.settings.defaultSecrets
        return DeliveryCredentials(
            secrets: defaults.isEmpty ? [DeliveryCredentials.decoy] : defaults,
            options: SignatureOptions(),
            signingSecret: defaults.first
        )
    }
}
