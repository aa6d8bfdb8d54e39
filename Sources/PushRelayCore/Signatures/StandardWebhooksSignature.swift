import Crypto
import Foundation

/// Standard Webhooks signatures, as GitLab's signing tokens send them: `webhook-signature: v1,<base64>`
/// (several, space-separated, during a rotation) over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with
/// the base64 secret after `whsec_`, and a timestamp within five minutes of now.
package enum StandardWebhooksSignature {
    package static let tolerance: TimeInterval = 300

    package static func verify(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        now: Date
    ) -> SignatureCheck {
        guard let header = headers["webhook-signature"] else { return .absent }
        guard let id = headers["webhook-id"], let timestampText = headers["webhook-timestamp"],
            let timestamp = TimeInterval(timestampText)
        else {
            return .invalid("missing webhook-id or webhook-timestamp")
        }
        // A replayed delivery from outside the window is refused even when its signature is good.
        guard abs(now.timeIntervalSince1970 - timestamp) <= self.tolerance else {
            return .invalid("timestamp out of tolerance")
        }
        let signed = Array("\(id).\(timestampText).".utf8) + body
        let digests = header.split(separator: " ").compactMap { entry -> [UInt8]? in
            guard entry.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(entry.dropFirst(3))).map(Array.init)
        }
        guard !digests.isEmpty else { return .invalid("no v1 signature") }
        var matched = false
        for digest in digests {
            for secret in secrets {
                // No early exit, as in HMACSignature: timing does not tell which secret matched.
                if HMAC<SHA256>.isValidAuthenticationCode(digest, authenticating: signed, using: self.key(secret)) {
                    matched = true
                }
            }
        }
        return matched ? .valid : .invalid("signature mismatch")
    }

    /// `v1,<base64>` over `{id}.{timestamp}.{body}`: what GitLab sends; used by `replay --to` and tests.
    package static func sign(id: String, timestamp: Int, body: [UInt8], secret: WebhookSecret) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: self.key(secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// `whsec_<base64>` is decoded; any other secret is used as its UTF-8 bytes.
    private static func key(_ secret: WebhookSecret) -> SymmetricKey {
        let text = String(decoding: secret.bytes, as: UTF8.self)
        if text.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(text.dropFirst(6))) {
            return SymmetricKey(data: decoded)
        }
        return SymmetricKey(data: secret.bytes)
    }
}
