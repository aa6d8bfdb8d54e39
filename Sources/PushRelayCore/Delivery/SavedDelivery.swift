import Foundation

/// The saved-delivery file (SPEC section 8): what `deliveries export` writes and `replay` reads.
package struct SavedDelivery: Codable, Equatable, Sendable {
    package var provider: String
    package var received_at: String
    /// Every field received, repeated ones included (``WebhookHeaders``'s `Codable` form).
    package var headers: WebhookHeaders
    /// The raw body when it is UTF-8.
    package var body: String?
    /// The raw body, base64-encoded, when it is not UTF-8.
    package var body_base64: String?

    package init(provider: String, receivedAt: Date, headers: WebhookHeaders, body: [UInt8]) {
        self.provider = provider
        self.received_at = Self.timestamp(receivedAt)
        self.headers = headers
        if let text = String(validating: body, as: UTF8.self) {
            self.body = text
        } else {
            self.body_base64 = Data(body).base64EncodedString()
        }
    }

    package init(_ stored: StoredDelivery) {
        self.init(
            provider: stored.summary.provider.rawValue,
            receivedAt: stored.summary.receivedAt,
            headers: stored.headers,
            body: stored.body
        )
    }

    /// The body bytes exactly as received.
    package var bodyBytes: [UInt8]? {
        if let body { return Array(body.utf8) }
        return self.body_base64.flatMap { Data(base64Encoded: $0) }.map(Array.init)
    }

    /// Pretty, with sorted keys, so exports diff well.
    package func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings only: encoding cannot fail.
        return Array(try! encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    package static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
