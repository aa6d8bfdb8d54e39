/// A parsed webhook body: which repository it concerns and what happened.
package struct WebhookEvent: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Pushed refs; most pushes change one, some hosts send several in one delivery.
        case push([PushEvent])
        /// A pull or merge request opened, updated or otherwise acted on.
        case pullRequest(PullRequestEvent)
        /// A pull or merge request event without what a plan needs (no action: GitLab's system hooks and
        /// older versions send such; no number or branch): ignored with the reason, never a `400`, which
        /// the host would count as a failed delivery (and may disable the hook for).
        case incompletePullRequest(String)
        /// The host checking that the hook works.
        case ping
        /// Any event PushRelay does not act on, by its provider name.
        case other(String)
    }

    package var kind: Kind
    /// Every URL form of the repository the payload gives (clone, ssh, web): any one may be configured.
    package var repositoryURLs: [String]
    /// Identities the payload gives other than as URLs (a Bitbucket Data Center key and slug, no host).
    package var otherIdentities: [RepositoryIdentity]

    package init(kind: Kind, repositoryURLs: [String], otherIdentities: [RepositoryIdentity] = []) {
        self.kind = kind
        self.repositoryURLs = repositoryURLs
        self.otherIdentities = otherIdentities
    }

    /// The identities of ``repositoryURLs`` that normalise, then ``otherIdentities``, without repeats.
    package var repositoryIdentities: [RepositoryIdentity] {
        var seen = Set<RepositoryIdentity>()
        let all = self.repositoryURLs.compactMap(RepositoryIdentity.init(normalizing:)) + self.otherIdentities
        return all.filter { seen.insert($0).inserted }
    }
}

/// Why a body could not be read as the provider's payload. The text goes back to the sender in a 400.
package struct PayloadError: Error, Equatable, CustomStringConvertible {
    package var reason: String

    package init(_ reason: String) {
        self.reason = reason
    }

    package var description: String { self.reason }
}
