import Foundation
import PushRelayCore

/// The headers a host sends with a fixture's body: its event header (as the fixture's meta writes it,
/// `X-GitHub-Event: push`), a delivery id in every provider's dialect, and, signed, the signature or token
/// of every provider at once with one secret (each provider reads only its own).
package enum FixtureHeaders {
    package static func unsigned(event: String, delivery: String = "delivery-1") -> WebhookHeaders {
        var headers = WebhookHeaders()
        let parts = event.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].hasPrefix("X-") {
            headers.add(name: String(parts[0]), value: parts[1].trimmingCharacters(in: .whitespaces))
        }
        for name in [
            "X-GitHub-Delivery", "X-Gitea-Delivery", "X-Gogs-Delivery", "X-Gitlab-Event-UUID", "X-Request-UUID",
        ] {
            headers.add(name: name, value: delivery)
        }
        return headers
    }

    package static func signed(
        event: String,
        body: [UInt8],
        secret: String,
        delivery: String = "delivery-1"
    ) -> WebhookHeaders {
        var headers = Self.unsigned(event: event, delivery: delivery)
        let signature = HMACSignature.sign(body: body, secret: WebhookSecret(secret))
        let hex = String(signature.dropFirst("sha256=".count))
        headers.add(name: "X-Hub-Signature-256", value: signature)
        headers.add(name: "X-Hub-Signature", value: signature)
        headers.add(name: "X-Gitea-Signature", value: hex)
        headers.add(name: "X-Gogs-Signature", value: hex)
        headers.add(name: "X-Gitlab-Token", value: secret)
        headers.add(name: "Authorization", value: "Basic " + Data("u:\(secret)".utf8).base64EncodedString())
        return headers
    }
}
