import Crypto

/// Verifies `<scheme>=<hex HMAC(body)>` headers (GitHub's `X-Hub-Signature-256: sha256=…`).
package enum HMACSignature {
    /// - Parameters:
    ///   - header: The header value, or `nil` when the request had none.
    ///   - scheme: The prefix before `=`, e.g. `sha256`.
    ///   - body: The bytes as received; never a re-encoded payload.
    ///   - secrets: Every secret currently accepted (several during a rotation); any one verifies.
    package static func verifySHA256(
        header: String?,
        scheme: String = "sha256",
        body: [UInt8],
        secrets: [WebhookSecret]
    ) -> SignatureCheck {
        guard let header else { return .absent }
        guard let equals = header.firstIndex(of: "="), header[..<equals] == scheme else {
            return .invalid("unsupported signature scheme")
        }
        guard let digest = HexBytes.decode(header[header.index(after: equals)...]),
            digest.count == SHA256.byteCount
        else {
            return .invalid("malformed digest")
        }
        return self.verify(digest: digest, body: body, secrets: secrets)
    }

    /// Checks a raw SHA-256 digest against every secret; swift-crypto's check compares in constant time.
    package static func verify(digest: [UInt8], body: [UInt8], secrets: [WebhookSecret]) -> SignatureCheck {
        var matched = false
        for secret in secrets {
            let key = SymmetricKey(data: secret.bytes)
            // No early exit: the time taken does not tell which of the secrets matched.
            if HMAC<SHA256>.isValidAuthenticationCode(digest, authenticating: body, using: key) { matched = true }
        }
        return matched ? .valid : .invalid("signature mismatch")
    }

    /// GitHub's legacy `X-Hub-Signature: sha1=<hex>`, accepted only where a repository allows it.
    package static func verifySHA1(header: String?, body: [UInt8], secrets: [WebhookSecret]) -> SignatureCheck {
        guard let header else { return .absent }
        guard header.hasPrefix("sha1="), let digest = HexBytes.decode(header.dropFirst(5)),
            digest.count == Insecure.SHA1.byteCount
        else {
            return .invalid("malformed SHA-1 signature")
        }
        var matched = false
        for secret in secrets {
            let key = SymmetricKey(data: secret.bytes)
            if HMAC<Insecure.SHA1>.isValidAuthenticationCode(digest, authenticating: body, using: key) {
                matched = true
            }
        }
        return matched ? .valid : .invalid("signature mismatch")
    }

    /// Bare `<hex>` (Gitea, Forgejo, Gogs): the digest without a scheme prefix.
    package static func verifyBareSHA256(header: String?, body: [UInt8], secrets: [WebhookSecret]) -> SignatureCheck {
        guard let header else { return .absent }
        guard let digest = HexBytes.decode(header), digest.count == SHA256.byteCount else {
            return .invalid("malformed digest")
        }
        return self.verify(digest: digest, body: body, secrets: secrets)
    }

    /// `sha256=<hex>` for a body; used by `replay --to` and by tests to sign what they send.
    package static func sign(body: [UInt8], secret: WebhookSecret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.bytes))
        return "sha256=" + HexBytes.encode(mac)
    }
}
