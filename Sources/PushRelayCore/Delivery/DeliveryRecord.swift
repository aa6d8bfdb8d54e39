import Foundation

/// A verified delivery as the store keeps it, whatever was decided: what `deliveries list`, `show` and
/// `export` read back.
package struct DeliveryRecord: Sendable, Equatable {
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
    package var signature: SignatureCheck
    /// As received, repeated fields included, less those that carry a secret (a plain token,
    /// `Authorization`).
    package var headers: WebhookHeaders
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
        signature: SignatureCheck,
        headers: WebhookHeaders,
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
        self.signature = signature
        self.headers = headers
        self.body = body
    }
}
