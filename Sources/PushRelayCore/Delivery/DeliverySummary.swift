import Foundation

/// A stored delivery as `deliveries list` shows it.
package struct DeliverySummary: Sendable, Equatable {
    package var provider: ProviderKind
    package var deliveryID: String
    package var event: String
    package var receivedAt: Date
    package var repository: String?
    package var ref: String?
    package var decision: String
    package var reason: String
    package var signature: String
    package var work: [WorkRecord]

    package init(
        provider: ProviderKind,
        deliveryID: String,
        event: String,
        receivedAt: Date,
        repository: String?,
        ref: String?,
        decision: String,
        reason: String,
        signature: String,
        work: [WorkRecord]
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
        self.work = work
    }
}

/// A stored delivery with what was received: for `deliveries show` and `export`.
package struct StoredDelivery: Sendable, Equatable {
    package var summary: DeliverySummary
    /// As received, less headers that carried a secret (never stored).
    package var headers: WebhookHeaders
    package var body: [UInt8]

    package init(summary: DeliverySummary, headers: WebhookHeaders, body: [UInt8]) {
        self.summary = summary
        self.headers = headers
        self.body = body
    }
}
