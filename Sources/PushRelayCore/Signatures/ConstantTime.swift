/// Comparison whose running time does not depend on where two byte strings differ, so a client cannot
/// learn a token byte by byte from response times.
package enum ConstantTime {
    /// Equal length and equal bytes. Length is not secret (it is the configured token's), but the loop still
    /// runs over the longer input so that a length mismatch costs the same as a content mismatch.
    package static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        let count = max(lhs.count, rhs.count)
        for index in 0..<count {
            let a = index < lhs.count ? lhs[index] : 0
            let b = index < rhs.count ? rhs[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    /// Whether `presented` equals any of the secrets, comparing with every one of them (no early exit), so
    /// the time taken does not tell which secret, if any, matched.
    package static func matchesAny(_ presented: [UInt8], _ secrets: [WebhookSecret]) -> Bool {
        var matched = false
        for secret in secrets where self.equals(presented, secret.bytes) { matched = true }
        return matched
    }
}
