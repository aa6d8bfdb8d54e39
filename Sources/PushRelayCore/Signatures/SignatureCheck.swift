/// The outcome of checking a delivery's signature or token against the configured secrets.
package enum SignatureCheck: Sendable, Equatable, CustomStringConvertible {
    case valid
    /// Present but wrong; the reason is for logs at debug level, never for the response.
    case invalid(String)
    case absent
    /// The repository is configured with `insecure_no_signature: true`.
    case notChecked
    /// No webhook: a push found by missed-push recovery, read from the host itself.
    case polled

    package var description: String {
        switch self {
        case .valid: "valid"
        case .invalid: "invalid"
        case .absent: "absent"
        case .notChecked: "not-checked"
        case .polled: "polled"
        }
    }
}
