import Foundation

/// Bitbucket Cloud (`repo:push`) and Bitbucket Data Center (`repo:refs_changed`), both signing with
/// `X-Hub-Signature: sha256=<hex>`; `diagnostics:ping` is Data Center's test. One push can change several
/// refs, and each is routed. Pull requests: ``BitbucketPullRequest``.
package struct BitbucketProvider: WebhookProvider {
    package var kind: ProviderKind { .bitbucket }
    package var signatureHeaderName: String { "X-Hub-Signature" }

    package init() {}

    package func replayHeaders(event: String, deliveryID: String) -> WebhookHeaders {
        WebhookHeaders([(name: "X-Event-Key", value: event), (name: "X-Request-UUID", value: deliveryID)])
    }

    package func resend(
        _ request: WebhookRequest,
        secret: WebhookSecret?,
        deliveryID: String?,
        now: Date
    ) -> WebhookRequest {
        var headers = request.headers
        if let deliveryID {
            // Cloud sends X-Request-UUID, Data Center X-Request-Id: keep the one that was sent.
            headers.set(headers["X-Request-Id"] != nil ? "X-Request-Id" : "X-Request-UUID", to: deliveryID)
        }
        headers.remove("X-Hub-Signature")
        if let secret { headers.set("X-Hub-Signature", to: HMACSignature.sign(body: request.body, secret: secret)) }
        return WebhookRequest(headers: headers, body: request.body)
    }

    package func recognises(_ headers: WebhookHeaders) -> Bool { headers["X-Event-Key"] != nil }

    package func read(headers: WebhookHeaders, body: [UInt8]) throws(PayloadError) -> ProviderDelivery {
        let eventName = try self.required("X-Event-Key", in: headers)
        guard let deliveryID = headers["X-Request-UUID"] ?? headers["X-Request-Id"], !deliveryID.isEmpty else {
            throw PayloadError("missing X-Request-UUID or X-Request-Id header")
        }
        if BitbucketPullRequest.isPullRequest(eventName) {
            let event = try BitbucketPullRequest.read(body, eventName: eventName)
            return ProviderDelivery(eventName: eventName, deliveryID: deliveryID, event: event)
        }
        let payload = try PayloadJSON.decode(Payload.self, from: body, provider: self.kind)
        let event: WebhookEvent
        switch eventName {
        case "diagnostics:ping":
            event = WebhookEvent(
                kind: .ping,
                repositoryURLs: payload.repositoryURLs,
                otherIdentities: payload.pathIdentity
            )
        case "repo:push":
            guard let changes = payload.push?.changes else {
                throw PayloadError("repo:push payload has no 'push.changes'")
            }
            event = WebhookEvent(
                kind: .push(try changes.map { change throws(PayloadError) in try change.push() }),
                repositoryURLs: payload.repositoryURLs
            )
        case "repo:refs_changed":
            guard let changes = payload.changes else {
                throw PayloadError("repo:refs_changed payload has no 'changes'")
            }
            event = WebhookEvent(
                kind: .push(try changes.map { change throws(PayloadError) in try change.push() }),
                repositoryURLs: payload.repositoryURLs,
                otherIdentities: payload.pathIdentity
            )
        default:
            event = WebhookEvent(
                kind: .other(eventName),
                repositoryURLs: payload.repositoryURLs,
                otherIdentities: payload.pathIdentity
            )
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
        HMACSignature.verifySHA256(header: headers["X-Hub-Signature"], body: body, secrets: secrets)
    }
}

extension BitbucketProvider {
    private struct Payload: Decodable {
        struct Link: Decodable {
            var href: String?
            var name: String?
        }

        struct Links: Decodable {
            var html: Link?
            var clone: [Link]?
            var `self`: [Link]?

            init(from decoder: any Decoder) throws {
                // Cloud gives `html` as one link; Data Center gives `self` and `clone` as lists.
                let container = try decoder.container(keyedBy: Keys.self)
                self.html = try? container.decodeIfPresent(Link.self, forKey: .html)
                self.clone = try? container.decodeIfPresent([Link].self, forKey: .clone)
                self.`self` = try? container.decodeIfPresent([Link].self, forKey: .`self`)
            }

            private enum Keys: String, CodingKey {
                case html, clone, `self`
            }
        }

        struct Project: Decodable {
            var key: String?
        }

        struct Repository: Decodable {
            var full_name: String?
            var slug: String?
            var project: Project?
            var links: Links?
        }

        var repository: Repository?
        var push: CloudPush?
        var changes: [ServerChange]?

        /// Cloud payloads carry no clone URL: the identity is `bitbucket.org/<full_name>`.
        var repositoryURLs: [String] {
            guard let repository = self.repository else { return [] }
            var urls: [String] = []
            if self.push != nil, let fullName = repository.full_name { urls.append("bitbucket.org/" + fullName) }
            urls += (repository.links?.clone ?? []).compactMap(\.href)
            urls += (repository.links?.`self` ?? []).compactMap(\.href)
            if let html = repository.links?.html?.href { urls.append(html) }
            return urls
        }

        /// Data Center deliveries may name only the project key and slug: matched on the path alone.
        var pathIdentity: [RepositoryIdentity] {
            guard let key = self.repository?.project?.key, let slug = self.repository?.slug else { return [] }
            return [RepositoryIdentity(host: "", path: key + "/" + slug)]
        }
    }

    private struct CloudPush: Decodable {
        var changes: [CloudChange]
    }

    private struct CloudRef: Decodable {
        struct Target: Decodable {
            var hash: String?
            var message: String?
        }

        var type: String?
        var name: String?
        var target: Target?

        var ref: String? {
            guard let name = self.name else { return nil }
            switch self.type {
            case "branch", "named_branch": return "refs/heads/" + name
            case "tag", "annotated_tag": return "refs/tags/" + name
            default: return nil
            }
        }
    }

    private struct CloudChange: Decodable {
        var new: CloudRef?
        var old: CloudRef?
        var closed: Bool?

        func push() throws(PayloadError) -> PushEvent {
            // `new: null` is a deletion; the ref then comes from `old`.
            guard let ref = (self.new ?? self.old)?.ref else {
                throw PayloadError("repo:push change names no branch or tag")
            }
            let deleted = self.new == nil
            return PushEvent(
                ref: GitRef(ref),
                commit: deleted ? nil : self.new?.target?.hash,
                deleted: deleted,
                changedFiles: nil,
                changedFilesUnknownReason: "Bitbucket does not list changed files",
                headCommitMessage: self.new?.target?.message,
                previousCommit: self.old?.target?.hash
            )
        }
    }

    private struct ServerChange: Decodable {
        var refId: String?
        var fromHash: String?
        var toHash: String?
        var type: String?

        func push() throws(PayloadError) -> PushEvent {
            guard let ref = self.refId else { throw PayloadError("repo:refs_changed change has no 'refId'") }
            let deleted = self.type == "DELETE" || PushEvent.isZeroSHA(self.toHash)
            return PushEvent(
                ref: GitRef(ref),
                commit: deleted ? nil : self.toHash,
                deleted: deleted,
                changedFiles: nil,
                changedFilesUnknownReason: "Bitbucket does not list changed files",
                headCommitMessage: nil,
                previousCommit: self.fromHash
            )
        }
    }
}
