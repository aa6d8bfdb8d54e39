import Foundation

/// One file given to `replay`, read into what a listener would have received. Four shapes are accepted:
/// the saved-delivery file of `deliveries export`; GitHub's hook delivery object (`request.headers`,
/// `request.payload`); GitLab's hook event object (`request_headers`, `request_data`); and a bare payload,
/// for which the provider (and, where the body does not say it, the event) must be given.
package struct ReplayInput: Sendable, Equatable {
    package enum Format: String, Sendable {
        case savedDelivery = "saved-delivery"
        case githubAPI = "github-api"
        case gitlabAPI = "gitlab-api"
        case payload
    }

    package var format: Format
    package var provider: ProviderKind
    package var headers: WebhookHeaders
    package var body: [UInt8]
    /// Whether `body` holds the bytes as received, so that a saved signature over them can be checked.
    /// The API objects give the payload as parsed JSON, which cannot reproduce the signed bytes.
    package var bodyIsOriginal: Bool

    /// - Parameters:
    ///   - provider: `--provider`, required for a bare payload.
    ///   - event: `--event`, required for a bare payload whose body does not name its event.
    ///   - fallbackDeliveryID: the delivery id given to a bare payload (which has none).
    package static func read(
        _ bytes: [UInt8],
        provider: ProviderKind? = nil,
        event: String? = nil,
        fallbackDeliveryID: String
    ) throws(ReplayInputError) -> ReplayInput {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw ReplayInputError("not a JSON object (or truncated)")
        }
        if let saved = try? JSONDecoder().decode(SavedDelivery.self, from: Data(bytes)),
            saved.body != nil || saved.body_base64 != nil
        {
            guard let kind = ProviderKind(rawValue: saved.provider) else {
                throw ReplayInputError("unknown provider '\(saved.provider.prefix(32))'")
            }
            guard let body = saved.bodyBytes else { throw ReplayInputError("body_base64 is not base64") }
            return ReplayInput(
                format: .savedDelivery,
                provider: kind,
                headers: saved.headers,
                body: body,
                bodyIsOriginal: true
            )
        }
        if let request = object["request"] as? [String: Any], let headers = request["headers"] as? [String: Any],
            let payload = request["payload"]
        {
            return ReplayInput(
                format: .githubAPI,
                provider: .github,
                headers: self.headers(headers),
                body: try self.serialize(payload),
                bodyIsOriginal: false
            )
        }
        if let headers = object["request_headers"] as? [String: Any], let data = object["request_data"] {
            return ReplayInput(
                format: .gitlabAPI,
                provider: .gitlab,
                headers: self.headers(headers),
                body: try self.serialize(data),
                bodyIsOriginal: false
            )
        }
        guard let provider else {
            throw ReplayInputError("cannot tell the provider of a bare payload: give --provider")
        }
        // GitLab and Azure DevOps name the event in the body; the others need --event.
        let bodyEvent = (object["object_kind"] as? String).map { kind in
            switch kind {
            case "push": "Push Hook"
            case "tag_push": "Tag Push Hook"
            default: kind
            }
        }
        guard let eventName = event ?? bodyEvent ?? (provider == .azureDevOps ? "" : nil) else {
            throw ReplayInputError("the payload does not say its event: give --event")
        }
        let headers = WebhookProviders.provider(for: provider).replayHeaders(
            event: eventName,
            deliveryID: fallbackDeliveryID
        )
        return ReplayInput(format: .payload, provider: provider, headers: headers, body: bytes, bodyIsOriginal: true)
    }

    private static func headers(_ object: [String: Any]) -> WebhookHeaders {
        WebhookHeaders(
            object.sorted { $0.key < $1.key }.compactMap { key, value in
                (value as? String).map { (name: key, value: $0) }
            }
        )
    }

    /// The API objects hold the payload as JSON (GitLab's sometimes as a string of JSON).
    private static func serialize(_ payload: Any) throws(ReplayInputError) -> [UInt8] {
        if let text = payload as? String { return Array(text.utf8) }
        guard JSONSerialization.isValidJSONObject(payload),
            let data = try? JSONSerialization.data(
                withJSONObject: payload,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else {
            throw ReplayInputError("the payload is not a JSON object")
        }
        return Array(data)
    }
}

/// Why a file could not be replayed; printed with the file's name, and the run goes on.
package struct ReplayInputError: Error, Equatable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
