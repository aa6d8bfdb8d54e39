import Foundation

/// Gitea, Forgejo and Gogs: one dialect under three header families. Each sends a bare-hex HMAC-SHA256
/// signature, an event header (`push`, `delete`, `create`) and a delivery id. Gitea also sends GitHub's
/// headers; the Gitea-family ones win.
package struct GiteaProvider: WebhookProvider {
    /// Header prefixes, most specific first: Forgejo sends Gitea's headers too, and Gitea sends Gogs'.
    private static let families = ["X-Forgejo", "X-Gitea", "X-Gogs"]
    /// The `pull_request` actions that plan (Gitea spells GitHub's `synchronize` `synchronized`).
    static let planningActions: Set<String> = ["opened", "synchronized", "reopened"]

    package var kind: ProviderKind { .gitea }
    package var signatureHeaderName: String { "X-Gitea-Signature" }

    package init() {}

    package func replayHeaders(event: String, deliveryID: String) -> WebhookHeaders {
        WebhookHeaders([(name: "X-Gitea-Event", value: event), (name: "X-Gitea-Delivery", value: deliveryID)])
    }

    package func resend(
        _ request: WebhookRequest,
        secret: WebhookSecret?,
        deliveryID: String?,
        now: Date
    ) -> WebhookRequest {
        var headers = request.headers
        if let deliveryID {
            let sent = Self.families.filter { headers[$0 + "-Delivery"] != nil }
            for family in sent.isEmpty ? ["X-Gitea"] : sent { headers.set(family + "-Delivery", to: deliveryID) }
        }
        for family in Self.families { headers.remove(family + "-Signature") }
        if let secret {
            // Bare hex, without GitHub's `sha256=` prefix.
            let signature = HMACSignature.sign(body: request.body, secret: secret).dropFirst("sha256=".count)
            headers.set("X-Gitea-Signature", to: String(signature))
        }
        return WebhookRequest(headers: headers, body: request.body)
    }

    package func recognises(_ headers: WebhookHeaders) -> Bool {
        Self.families.contains { headers[$0 + "-Event"] != nil }
    }

    private func first(_ suffix: String, in headers: WebhookHeaders) -> String? {
        Self.families.lazy.compactMap { headers[$0 + suffix] }.first
    }

    package func read(headers: WebhookHeaders, body: [UInt8]) throws(PayloadError) -> ProviderDelivery {
        guard let eventName = self.first("-Event", in: headers) else {
            throw PayloadError("missing X-Gitea-Event header")
        }
        guard let deliveryID = self.first("-Delivery", in: headers), !deliveryID.isEmpty else {
            throw PayloadError("missing X-Gitea-Delivery header")
        }
        // `pull_request_sync` is the event type Gitea names in `X-Gitea-Event-Type`; some versions send it
        // as the event.
        if eventName == "pull_request" || eventName == "pull_request_sync" {
            return try GitHubStylePullRequest.delivery(
                body,
                provider: self.kind,
                planning: Self.planningActions,
                eventName: eventName,
                deliveryID: deliveryID
            )
        }
        let payload = try GitHubStylePayload(json: body, provider: self.kind)
        let kind: WebhookEvent.Kind
        switch eventName {
        case "push": kind = .push([try payload.push(commitCap: nil)])
        case "delete": kind = .push([try payload.deletion()])
        default: kind = .other(eventName)
        }
        return ProviderDelivery(
            eventName: eventName,
            deliveryID: deliveryID,
            event: WebhookEvent(kind: kind, repositoryURLs: payload.repositoryURLs)
        )
    }

    package func authenticate(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        options: SignatureOptions,
        now: Date
    ) -> SignatureCheck {
        HMACSignature.verifyBareSHA256(header: self.first("-Signature", in: headers), body: body, secrets: secrets)
    }
}
