import Foundation

/// Azure DevOps service hooks: no event header (`eventType: git.push` is in the body, and so is the
/// delivery `id`); authenticated by HTTP Basic auth whose password is the secret. The pushed refs come from
/// `resource.refUpdates`, never from the message text, which can disagree with them.
package struct AzureDevOpsProvider: WebhookProvider {
    package var kind: ProviderKind { .azureDevOps }
    package var signatureHeaderName: String { "Authorization" }
    package var secretHeaderNames: Set<String> { ["authorization"] }

    package init() {}

    /// Azure DevOps carries its event and delivery id in the body: no header is needed.
    package func replayHeaders(event: String, deliveryID: String) -> WebhookHeaders { WebhookHeaders() }

    /// The delivery id is the body's `id`, so a fresh one rewrites the body (nothing signs it); the secret
    /// goes as the Basic auth password.
    package func resend(
        _ request: WebhookRequest,
        secret: WebhookSecret?,
        deliveryID: String?,
        now: Date
    ) -> WebhookRequest {
        var body = request.body
        if let deliveryID, var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] {
            object["id"] = deliveryID
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) {
                body = Array(data)
            }
        }
        var headers = request.headers
        headers.remove("Authorization")
        if let secret {
            let credentials = Data(Array("pushrelay:".utf8) + secret.bytes).base64EncodedString()
            headers.set("Authorization", to: "Basic " + credentials)
        }
        return WebhookRequest(headers: headers, body: body)
    }

    /// Azure DevOps marks its requests with an activity id header.
    package func recognises(_ headers: WebhookHeaders) -> Bool { headers["X-Vss-ActivityId"] != nil }

    package func read(headers: WebhookHeaders, body: [UInt8]) throws(PayloadError) -> ProviderDelivery {
        let payload = try PayloadJSON.decode(Payload.self, from: body, provider: self.kind)
        guard let eventName = payload.eventType, !eventName.isEmpty else {
            throw PayloadError("body has no 'eventType'")
        }
        guard let deliveryID = payload.id, !deliveryID.isEmpty else { throw PayloadError("body has no 'id'") }
        let repository = payload.resource?.repository
        var urls: [String] = []
        if let remote = repository?.remoteUrl, let project = repository?.project?.name, let name = repository?.name,
            let organization = RepositoryIdentity(normalizing: remote)?.path.split(separator: "/").first
        {
            // The canonical form, from the names, whatever shape remoteUrl has.
            urls.append("dev.azure.com/\(organization)/\(project)/\(name)")
        }
        urls += [repository?.remoteUrl, repository?.sshUrl, repository?.webUrl].compactMap { $0 }
        let kind: WebhookEvent.Kind
        if eventName == "git.push" {
            guard let updates = payload.resource?.refUpdates, !updates.isEmpty else {
                throw PayloadError("git.push payload has no 'resource.refUpdates'")
            }
            let commits = payload.resource?.commits ?? []
            kind = .push(
                try updates.map { update throws(PayloadError) in
                    guard let ref = update.name else { throw PayloadError("refUpdate has no 'name'") }
                    let deleted = PushEvent.isZeroSHA(update.newObjectId)
                    return PushEvent(
                        ref: GitRef(ref),
                        commit: deleted ? nil : update.newObjectId,
                        deleted: deleted,
                        changedFiles: nil,
                        changedFilesUnknownReason: "Azure DevOps does not list changed files",
                        headCommitMessage: commits.first { $0.commitId == update.newObjectId }?.comment,
                        previousCommit: update.oldObjectId
                    )
                }
            )
        } else if eventName.hasPrefix("git.pullrequest."), let resource = payload.resource {
            kind = resource.pullRequest(eventName: eventName)
        } else {
            kind = .other(eventName)
        }
        return ProviderDelivery(
            eventName: eventName,
            deliveryID: deliveryID,
            event: WebhookEvent(kind: kind, repositoryURLs: urls)
        )
    }

    package func authenticate(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        options: SignatureOptions,
        now: Date
    ) -> SignatureCheck {
        guard let header = headers["Authorization"] else { return .absent }
        guard header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else {
            return .invalid("malformed Basic authorization")
        }
        let password = Array(decoded[decoded.index(after: colon)...])
        return ConstantTime.matchesAny(password, secrets) ? .valid : .invalid("password mismatch")
    }
}

extension AzureDevOpsProvider {
    private struct Payload: Decodable {
        struct Project: Decodable {
            var name: String?
        }

        struct Repository: Decodable {
            var name: String?
            var remoteUrl: String?
            var sshUrl: String?
            var webUrl: String?
            var project: Project?
        }

        struct RefUpdate: Decodable {
            var name: String?
            var oldObjectId: String?
            var newObjectId: String?
        }

        struct Commit: Decodable {
            var commitId: String?
            var comment: String?
        }

        /// Present on a pull request from a fork; its fields are not read.
        struct ForkSource: Decodable {}

        struct Resource: Decodable {
            var refUpdates: [RefUpdate]?
            var commits: [Commit]?
            var repository: Repository?
            var pullRequestId: Int?
            /// `active`, `completed`, `abandoned`.
            var status: String?
            var sourceRefName: String?
            var targetRefName: String?
            var lastMergeSourceCommit: Commit?
            var isDraft: Bool?
            var forkSource: ForkSource?

            /// `created` plans; `updated`, which is also sent for votes, reviewers and completion, plans
            /// while the pull request is active (its head commit tells a push from a vote downstream).
            func pullRequest(eventName: String) -> WebhookEvent.Kind {
                guard let number = self.pullRequestId, let source = self.sourceRefName, let target = self.targetRefName
                else {
                    return .incompletePullRequest(
                        "pull request payload lacks pullRequestId, sourceRefName or targetRefName: nothing to plan"
                    )
                }
                let notPlanning: String? =
                    switch eventName {
                    case "git.pullrequest.created": nil
                    case "git.pullrequest.updated":
                        self.status == "active" ? nil : "pull request is \(self.status ?? "not active"), not active"
                    default: PullRequestEvent.notPlanning(eventName)
                    }
                return .pullRequest(
                    PullRequestEvent(
                        number: number,
                        action: eventName,
                        notPlanning: notPlanning,
                        sourceBranch: PullRequestEvent.branch(source),
                        targetBranch: PullRequestEvent.branch(target),
                        headCommit: self.lastMergeSourceCommit?.commitId,
                        fork: self.forkSource != nil,
                        draft: self.isDraft ?? false
                    )
                )
            }
        }

        var id: String?
        var eventType: String?
        var resource: Resource?
    }
}
