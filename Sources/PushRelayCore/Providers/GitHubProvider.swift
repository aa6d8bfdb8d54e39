import Foundation

/// GitHub: `X-Hub-Signature-256`, `X-GitHub-Event` (`push`, `ping`, `delete`, `pull_request`),
/// `X-GitHub-Delivery`.
package struct GitHubProvider: WebhookProvider {
    /// GitHub lists at most this many commits in a push payload; a push at the cap may have more.
    package static let commitCap = 2048
    /// The `pull_request` actions that plan: new commits, or a pull request that is new or ready again.
    static let planningActions: Set<String> = ["opened", "synchronize", "reopened", "ready_for_review"]

    package var kind: ProviderKind { .github }
    package var signatureHeaderName: String { "X-Hub-Signature-256" }

    package init() {}

    package func replayHeaders(event: String, deliveryID: String) -> WebhookHeaders {
        WebhookHeaders([(name: "X-GitHub-Event", value: event), (name: "X-GitHub-Delivery", value: deliveryID)])
    }

    package func resend(
        _ request: WebhookRequest,
        secret: WebhookSecret?,
        deliveryID: String?,
        now: Date
    ) -> WebhookRequest {
        var headers = request.headers
        if let deliveryID { headers.set("X-GitHub-Delivery", to: deliveryID) }
        headers.remove("X-Hub-Signature")
        headers.remove("X-Hub-Signature-256")
        if let secret { headers.set("X-Hub-Signature-256", to: HMACSignature.sign(body: request.body, secret: secret)) }
        return WebhookRequest(headers: headers, body: request.body)
    }

    package func recognises(_ headers: WebhookHeaders) -> Bool { headers["X-GitHub-Event"] != nil }

    package func read(headers: WebhookHeaders, body: [UInt8]) throws(PayloadError) -> ProviderDelivery {
        let eventName = try self.required("X-GitHub-Event", in: headers)
        let deliveryID = try self.required("X-GitHub-Delivery", in: headers)
        if eventName == "pull_request" {
            return try GitHubStylePullRequest.delivery(
                body,
                provider: self.kind,
                planning: Self.planningActions,
                eventName: eventName,
                deliveryID: deliveryID
            )
        }
        let payload = try GitHubStylePayload(json: body, provider: self.kind)
        let event: WebhookEvent
        switch eventName {
        case "ping":
            event = WebhookEvent(kind: .ping, repositoryURLs: payload.repositoryURLs)
        case "push":
            event = WebhookEvent(
                kind: .push([try payload.push(commitCap: Self.commitCap)]),
                repositoryURLs: payload.repositoryURLs
            )
        case "delete":
            event = WebhookEvent(kind: .push([try payload.deletion()]), repositoryURLs: payload.repositoryURLs)
        default:
            // `create` too: the push that follows a branch or tag creation carries its commit.
            event = WebhookEvent(kind: .other(eventName), repositoryURLs: payload.repositoryURLs)
        }
        return ProviderDelivery(eventName: eventName, deliveryID: deliveryID, event: event)
    }

    package func authenticate(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        options: SignatureOptions,
        now: Date
    ) -> SignatureCheck {
        let sha256 = headers["X-Hub-Signature-256"]
        if sha256 == nil, options.allowSHA1 {
            return HMACSignature.verifySHA1(header: headers["X-Hub-Signature"], body: body, secrets: secrets)
        }
        return HMACSignature.verifySHA256(header: sha256, body: body, secrets: secrets)
    }
}
