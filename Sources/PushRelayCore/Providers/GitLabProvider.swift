import Foundation

/// GitLab: `X-Gitlab-Token` (the secret itself, compared in constant time) or a signing token (Standard
/// Webhooks `webhook-signature`); `X-Gitlab-Event` (`Push Hook`, `Tag Push Hook`, and `System Hook` for
/// instance-wide hooks); delivery id from `Idempotency-Key`, else `webhook-id`, else `X-Gitlab-Event-UUID`.
package struct GitLabProvider: WebhookProvider {
    package var kind: ProviderKind { .gitlab }
    package var signatureHeaderName: String { "X-Gitlab-Token" }
    package var secretHeaderNames: Set<String> { ["x-gitlab-token"] }

    package init() {}

    package func replayHeaders(event: String, deliveryID: String) -> WebhookHeaders {
        WebhookHeaders([(name: "X-Gitlab-Event", value: event), (name: "X-Gitlab-Event-UUID", value: deliveryID)])
    }

    /// A delivery first signed with a signing token is signed again that way, with a current timestamp
    /// (the saved one would be out of tolerance); any other is sent with the secret as `X-Gitlab-Token`.
    package func resend(
        _ request: WebhookRequest,
        secret: WebhookSecret?,
        deliveryID: String?,
        now: Date
    ) -> WebhookRequest {
        var headers = request.headers
        if let deliveryID {
            let sent = ["Idempotency-Key", "webhook-id", "X-Gitlab-Event-UUID"].filter { headers[$0] != nil }
            for name in sent.isEmpty ? ["X-Gitlab-Event-UUID"] : sent { headers.set(name, to: deliveryID) }
        }
        let signingToken = headers["webhook-signature"] != nil
        for name in ["X-Gitlab-Token", "webhook-signature", "webhook-timestamp"] { headers.remove(name) }
        guard let secret else { return WebhookRequest(headers: headers, body: request.body) }
        if signingToken {
            let id = headers["webhook-id"] ?? deliveryID ?? ""
            let timestamp = Int(now.timeIntervalSince1970)
            headers.set("webhook-id", to: id)
            headers.set("webhook-timestamp", to: String(timestamp))
            headers.set(
                "webhook-signature",
                to: StandardWebhooksSignature.sign(id: id, timestamp: timestamp, body: request.body, secret: secret)
            )
        } else {
            headers.set("X-Gitlab-Token", to: String(decoding: secret.bytes, as: UTF8.self))
        }
        return WebhookRequest(headers: headers, body: request.body)
    }

    package func recognises(_ headers: WebhookHeaders) -> Bool { headers["X-Gitlab-Event"] != nil }

    package func read(headers: WebhookHeaders, body: [UInt8]) throws(PayloadError) -> ProviderDelivery {
        let eventName = try self.required("X-Gitlab-Event", in: headers)
        guard let deliveryID = headers["Idempotency-Key"] ?? headers["webhook-id"] ?? headers["X-Gitlab-Event-UUID"],
            !deliveryID.isEmpty
        else {
            throw PayloadError("missing Idempotency-Key or X-Gitlab-Event-UUID header")
        }
        let payload = try PayloadJSON.decode(Payload.self, from: body, provider: .gitlab)
        let urls = payload.urls
        // A system hook carries the same push body; `event_name` tells push from everything else.
        let kind = eventName == "System Hook" ? (payload.event_name ?? payload.object_kind ?? "") : eventName
        let event: WebhookEvent
        switch kind {
        case "Push Hook", "Tag Push Hook", "push", "tag_push":
            guard let ref = payload.ref else { throw PayloadError("push payload has no 'ref'") }
            guard !urls.isEmpty else { throw PayloadError("push payload names no repository") }
            event = WebhookEvent(kind: .push([payload.push(ref: ref)]), repositoryURLs: urls)
        case "Merge Request Hook", "merge_request":
            guard !urls.isEmpty else { throw PayloadError("merge request payload names no repository") }
            event = WebhookEvent(kind: try GitLabMergeRequest.read(body), repositoryURLs: urls)
        default:
            event = WebhookEvent(kind: .other(eventName), repositoryURLs: urls)
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
        if headers["webhook-signature"] != nil {
            return StandardWebhooksSignature.verify(headers: headers, body: body, secrets: secrets, now: now)
        }
        guard let token = headers["X-Gitlab-Token"] else { return .absent }
        return ConstantTime.matchesAny(Array(token.utf8), secrets) ? .valid : .invalid("token mismatch")
    }
}

extension GitLabProvider {
    private struct Payload: Decodable {
        struct Project: Decodable {
            var git_http_url: String?
            var git_ssh_url: String?
            var web_url: String?
        }

        struct Repository: Decodable {
            var url: String?
            var git_http_url: String?
            var git_ssh_url: String?
            var homepage: String?
        }

        struct Commit: Decodable {
            var id: String?
            var message: String?
            var added: [String]?
            var modified: [String]?
            var removed: [String]?
        }

        var object_kind: String?
        var event_name: String?
        var ref: String?
        var before: String?
        var after: String?
        var checkout_sha: String?
        var project: Project?
        var repository: Repository?
        var commits: [Commit]?
        var total_commits_count: Int?

        var urls: [String] {
            [
                self.project?.git_http_url, self.project?.git_ssh_url, self.project?.web_url,
                self.repository?.git_http_url, self.repository?.git_ssh_url, self.repository?.homepage,
                self.repository?.url,
            ].compactMap { $0 }
        }

        func push(ref: String) -> PushEvent {
            // GitLab deletes with an all-zero `after` and `checkout_sha: null`.
            let deleted = PushEvent.isZeroSHA(self.after) || (self.checkout_sha == nil && self.after == nil)
            let commits = self.commits ?? []
            var files: [String]? = nil
            var unknownReason: String? = nil
            if let total = self.total_commits_count, total > commits.count {
                unknownReason = "GitLab sent \(commits.count) of \(total) commits"
            } else if self.commits == nil {
                unknownReason = "no commit list"
            } else {
                files = ChangedFiles.union(commits.map { ($0.added, $0.modified, $0.removed) })
            }
            // `checkout_sha` is the commit a tag points at; `after` may be the annotated tag object.
            let commit = deleted ? nil : (self.checkout_sha ?? self.after)
            let head = commits.first { $0.id == commit } ?? commits.last
            return PushEvent(
                ref: GitRef(ref),
                commit: commit,
                deleted: deleted,
                changedFiles: files,
                changedFilesUnknownReason: unknownReason,
                headCommitMessage: head?.message,
                previousCommit: self.before
            )
        }
    }
}
