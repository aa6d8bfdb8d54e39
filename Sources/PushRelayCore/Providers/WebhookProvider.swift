import Foundation

/// One Git host's webhook dialect: its headers, how it authenticates, and its payload shape.
/// Each host has its own file; nothing here switches over hosts.
package protocol WebhookProvider: Sendable {
    var kind: ProviderKind { get }

    /// The event name from the provider's event header; `nil` when the header is missing.
    func eventName(in headers: WebhookHeaders) -> String?

    /// The provider's delivery id, the dedupe key; `nil` when the request carries none.
    func deliveryID(in headers: WebhookHeaders) -> String?

    /// Checks the signature or token over the raw bytes.
    func authenticate(headers: WebhookHeaders, body: [UInt8], secrets: [WebhookSecret], now: Date) -> SignatureCheck

    /// Reads the body. Throws only for a body that is not this provider's JSON; unknown events parse
    /// to ``WebhookEvent/Kind/other(_:)``.
    func parse(eventName: String, body: [UInt8]) throws(PayloadError) -> WebhookEvent

    /// Header names quoted in 400 and 401 reasons.
    var eventHeaderName: String { get }
    var deliveryHeaderName: String { get }
    var signatureHeaderName: String { get }

    /// Header names whose values are secrets (a plain token): never stored, logged or exported.
    var secretHeaderNames: Set<String> { get }
}

extension WebhookProvider {
    package var secretHeaderNames: Set<String> { [] }
}

/// The provider for a `/hooks/{provider}` path segment.
package enum WebhookProviders {
    package static func provider(for kind: ProviderKind) -> any WebhookProvider {
        switch kind {
        case .github: GitHubProvider()
        case .gitlab: GitLabProvider()
        }
    }

    package static func provider(named name: String) -> (any WebhookProvider)? {
        ProviderKind(rawValue: name.lowercased()).map(self.provider(for:))
    }
}

/// JSON decoding shared by the provider parsers: a body that is not JSON, or not an object, is a 400.
enum PayloadJSON {
    static func decode<T: Decodable>(
        _ type: T.Type,
        from body: [UInt8],
        provider: ProviderKind
    ) throws(PayloadError)
        -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch DecodingError.dataCorrupted {
            throw PayloadError("body is not valid JSON")
        } catch {
            throw PayloadError("body is not a \(provider.rawValue) payload: \(Self.summary(of: error))")
        }
    }

    /// A one-line reason naming the offending field, without echoing payload values.
    private static func summary(of error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable" }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            if case .keyNotFound(let key, _) = error {
                return "missing field '\(path.isEmpty ? key.stringValue : path + "." + key.stringValue)'"
            }
            return "unexpected value at '\(path)'"
        @unknown default:
            return "unreadable"
        }
    }
}
