/// Recognises the provider of a `POST /hooks` from its headers alone.
package enum ProviderDetection {
    package static func provider(for headers: WebhookHeaders) -> (any WebhookProvider)? {
        let candidates: [any WebhookProvider] = [GitLabProvider(), GitHubProvider()]
        return candidates.first { $0.eventName(in: headers) != nil }
    }
}
