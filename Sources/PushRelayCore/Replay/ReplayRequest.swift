import Foundation

/// What `replay --to` sends for one input: the same body to `/hooks/{provider}`, authenticated with the
/// secret the config gives the delivery's repository (the first one listed, during a rotation), since the
/// saved signature cannot be trusted to survive (API objects re-serialise the payload, tokens are not saved).
package struct ReplayRequest: Sendable, Equatable {
    package var provider: ProviderKind
    /// `/hooks/{provider}`.
    package var path: String
    /// The delivery id sent: the fresh one, or the saved one with `--keep-delivery-id`.
    package var deliveryID: String
    package var request: WebhookRequest

    /// - Parameter freshDeliveryID: the id to send instead of the saved one; `nil` keeps the saved one.
    package static func make(
        _ input: ReplayInput,
        config: RelayConfig,
        freshDeliveryID: String?,
        now: Date = Date()
    ) throws(PayloadError) -> ReplayRequest {
        let provider = WebhookProviders.provider(for: input.provider)
        let delivery = try provider.read(headers: input.headers, body: input.body)
        // The repository and its secrets by the rule `serve` verifies with.
        let credentials = config.credentials(for: config.repository(for: delivery.event))
        let request = provider.resend(
            WebhookRequest(headers: input.headers, body: input.body),
            secret: credentials.signingSecret,
            deliveryID: freshDeliveryID,
            now: now
        )
        return ReplayRequest(
            provider: input.provider,
            path: "/hooks/" + input.provider.rawValue,
            deliveryID: freshDeliveryID ?? delivery.deliveryID,
            request: request
        )
    }
}
