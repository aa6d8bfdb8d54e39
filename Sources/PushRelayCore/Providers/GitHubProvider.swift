import Foundation

/// GitHub: `X-Hub-Signature-256`, `X-GitHub-Event` (`push`, `ping`), `X-GitHub-Delivery`.
package struct GitHubProvider: WebhookProvider {
    /// GitHub lists at most this many commits in a push payload; a push at the cap may have more.
    package static let commitCap = 2048

    package var kind: ProviderKind { .github }

    package var eventHeaderName: String { "X-GitHub-Event" }
    package var deliveryHeaderName: String { "X-GitHub-Delivery" }
    package var signatureHeaderName: String { "X-Hub-Signature-256" }

    package init() {}

    package func eventName(in headers: WebhookHeaders) -> String? { headers[self.eventHeaderName] }

    package func deliveryID(in headers: WebhookHeaders) -> String? { headers[self.deliveryHeaderName] }

    package func authenticate(
        headers: WebhookHeaders,
        body: [UInt8],
        secrets: [WebhookSecret],
        now: Date
    ) -> SignatureCheck {
        HMACSignature.verifySHA256(header: headers[self.signatureHeaderName], body: body, secrets: secrets)
    }

    package func parse(eventName: String, body: [UInt8]) throws(PayloadError) -> WebhookEvent {
        let payload = try PayloadJSON.decode(Payload.self, from: body, provider: .github)
        let urls = payload.repository?.urls ?? []
        switch eventName {
        case "ping":
            return WebhookEvent(kind: .ping, repositoryURLs: urls)
        case "push":
            guard let ref = payload.ref else { throw PayloadError("push payload has no 'ref'") }
            guard payload.repository != nil else { throw PayloadError("push payload has no 'repository'") }
            return WebhookEvent(kind: .push([try payload.push(ref: ref)]), repositoryURLs: urls)
        default:
            return WebhookEvent(kind: .other(eventName), repositoryURLs: urls)
        }
    }
}

extension GitHubProvider {
    private struct Payload: Decodable {
        struct Repository: Decodable {
            var clone_url: String?
            var ssh_url: String?
            var git_url: String?
            var html_url: String?

            var urls: [String] { [self.clone_url, self.ssh_url, self.html_url, self.git_url].compactMap { $0 } }
        }

        struct Commit: Decodable {
            var id: String?
            var message: String?
            var added: [String]?
            var removed: [String]?
            var modified: [String]?
        }

        var ref: String?
        var after: String?
        var created: Bool?
        var deleted: Bool?
        var repository: Repository?
        var commits: [Commit]?
        var head_commit: Commit?

        func push(ref: String) throws(PayloadError) -> PushEvent {
            let deleted = self.deleted ?? PushEvent.isZeroSHA(self.after)
            let created = self.created ?? false
            let commits = self.commits ?? []
            var files: [String]? = nil
            var unknownReason: String? = nil
            if commits.count >= GitHubProvider.commitCap {
                unknownReason = "GitHub lists at most \(GitHubProvider.commitCap) commits"
            } else if created && commits.isEmpty {
                unknownReason = "new ref without listed commits"
            } else if self.commits == nil {
                unknownReason = "no commit list"
            } else {
                files = ChangedFiles.union(commits.map { ($0.added, $0.modified, $0.removed) })
            }
            return PushEvent(
                ref: GitRef(ref),
                commit: deleted ? nil : (self.after ?? self.head_commit?.id),
                deleted: deleted,
                created: created,
                changedFiles: files,
                changedFilesUnknownReason: unknownReason,
                headCommitMessage: self.head_commit?.message
            )
        }
    }
}
