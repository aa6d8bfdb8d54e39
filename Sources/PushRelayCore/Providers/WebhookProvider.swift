import Foundation

/// One Git host's webhook dialect: its headers, how it authenticates, and its payload shape.
/// Each host has its own file; nothing here switches over hosts.
package protocol WebhookProvider: Sendable {
    var kind: ProviderKind { get }

    /// Whether a `POST /hooks` request looks like this provider's, from its headers alone.
    func recognises(_ headers: WebhookHeaders) -> Bool

    /// Reads the event name, the delivery id and the body. Throws, with a reason for the 400, when a
    /// required header is missing or the body is not this provider's JSON; an event PushRelay does not act
    /// on reads as ``WebhookEvent/Kind/other(_:)``.
    func read(headers: WebhookHeaders, body: [UInt8]) throws(PayloadError) -> ProviderDelivery

    /// Checks the signature or token over the raw bytes.
    /// - Parameter options: what the repository's file allows beyond the default (such as SHA-1).
    func authenticate(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        options: SignatureOptions,
        now: Date
    ) -> SignatureCheck

    /// The header named in 401 reasons.
    var signatureHeaderName: String { get }

    /// The headers a delivery of `event` would carry, for replaying a bare payload.
    func replayHeaders(event: String, deliveryID: String) -> WebhookHeaders

    /// The request `replay --to` sends again: authenticated with `secret` in place of whatever was saved
    /// (unauthenticated when `secret` is `nil`), and under `deliveryID` when one is given, so that the
    /// listener does not answer `duplicate`.
    func resend(_ request: WebhookRequest, secret: WebhookSecret?, deliveryID: String?, now: Date) -> WebhookRequest

    /// Header names whose values are secrets (a plain token, a password): never stored, logged or exported.
    var secretHeaderNames: Set<String> { get }
}

extension WebhookProvider {
    package var secretHeaderNames: Set<String> { [] }

    package func authenticate(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        now: Date
    )
        -> SignatureCheck
    {
        self.authenticate(headers: headers, body: body, secrets: secrets, options: SignatureOptions(), now: now)
    }

    /// The value of a header the provider requires.
    func required(_ name: String, in headers: WebhookHeaders) throws(PayloadError) -> String {
        guard let value = headers[name], !value.isEmpty else { throw PayloadError("missing \(name) header") }
        return value
    }
}

/// What a provider read from one request.
package struct ProviderDelivery: Sendable, Equatable {
    package var eventName: String
    /// The provider's delivery id: the dedupe key.
    package var deliveryID: String
    package var event: WebhookEvent

    package init(eventName: String, deliveryID: String, event: WebhookEvent) {
        self.eventName = eventName
        self.deliveryID = deliveryID
        self.event = event
    }
}

/// Per-repository allowances in checking signatures.
package struct SignatureOptions: Sendable, Equatable {
    /// Accept GitHub's legacy `X-Hub-Signature: sha1=…` when no SHA-256 signature is sent.
    package var allowSHA1: Bool

    package init(allowSHA1: Bool = false) {
        self.allowSHA1 = allowSHA1
    }
}

/// The providers, by `/hooks/{provider}` path segment.
package enum WebhookProviders {
    /// In the order `POST /hooks` tries them: Gitea, Forgejo and Gogs also send GitHub-style headers,
    /// so they are recognised before GitHub.
    package static let all: [any WebhookProvider] = [
        GiteaProvider(), GitLabProvider(), BitbucketProvider(), AzureDevOpsProvider(), GitHubProvider(),
    ]

    package static func provider(for kind: ProviderKind) -> any WebhookProvider {
        // `all` holds one provider of each kind.
        self.all.first { $0.kind == kind }!
    }

    package static func provider(named name: String) -> (any WebhookProvider)? {
        ProviderKind(rawValue: name.lowercased()).map(self.provider(for:))
    }

    /// The provider of a `POST /hooks`, recognised from its headers.
    package static func detect(_ headers: WebhookHeaders) -> (any WebhookProvider)? {
        self.all.first { $0.recognises(headers) }
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
