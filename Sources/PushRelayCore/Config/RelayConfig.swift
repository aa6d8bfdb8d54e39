/// The whole validated config directory: what `serve` runs on and what `check` validates.
package struct RelayConfig: Sendable, Equatable {
    package var settings: ServiceSettings
    package var repositories: [RepositoryConfig]
    /// Problems that do not stop the service (printed by `check`, logged by `serve`).
    package var warnings: [ConfigProblem]
    /// Where each repository is in ``repositories``, by identity and by path (the first with that path),
    /// built once: a delivery finds its repository in the same time whether 10 or 10,000 are configured.
    /// Name resolution rewrites routes, never identities; a lookup still checks the position it is given.
    private let positions: RepositoryPositions

    package init(settings: ServiceSettings, repositories: [RepositoryConfig], warnings: [ConfigProblem] = []) {
        self.settings = settings
        self.repositories = repositories
        self.warnings = warnings
        self.positions = RepositoryPositions(repositories)
    }

    /// Whether some organization, workspace or template is given by name and needs a Terrakube lookup.
    package var needsNameResolution: Bool {
        self.settings.terrakube.organizationName != nil
            && self.settings.terrakube.organization.isEmpty
            || self.repositories.contains { $0.routes.contains { !$0.isResolved } }
    }

    /// The configured repository a payload names. Its URL forms are normalised one at a time and the
    /// first one configured ends the search: most payloads' first URL is, and this runs for every delivery.
    package func repository(for event: WebhookEvent) -> RepositoryConfig? {
        for url in event.repositoryURLs {
            guard let identity = RepositoryIdentity(normalizing: url) else { continue }
            if let exact = self.repository(at: self.positions.byIdentity[identity], { $0.identity == identity }) {
                return exact
            }
        }
        return self.repository(for: event.repositoryIdentities)
    }

    /// The configured repository for any of a payload's identities. An identity without a host (a payload
    /// that names only a path) matches on the path alone.
    package func repository(for identities: [RepositoryIdentity]) -> RepositoryConfig? {
        for identity in identities {
            if let exact = self.repository(at: self.positions.byIdentity[identity], { $0.identity == identity }) {
                return exact
            }
        }
        for identity in identities where identity.host.isEmpty {
            if let byPath = self.repository(
                at: self.positions.byPath[identity.path],
                { $0.identity.path == identity.path }
            ) {
                return byPath
            }
        }
        return nil
    }

    /// The repository at `position` when it is the one `matches` wants; a scan when the list was changed
    /// since the positions were taken.
    private func repository(at position: Int?, _ matches: (RepositoryConfig) -> Bool) -> RepositoryConfig? {
        guard self.positions.count == self.repositories.count else { return self.repositories.first(where: matches) }
        guard let position, matches(self.repositories[position]) else { return nil }
        return self.repositories[position]
    }
}

/// Positions of a list of repositories by identity and by path, the first of each.
private struct RepositoryPositions: Sendable, Equatable {
    var byIdentity: [RepositoryIdentity: Int] = [:]
    var byPath: [String: Int] = [:]
    var count: Int

    init(_ repositories: [RepositoryConfig]) {
        self.count = repositories.count
        for (position, repository) in repositories.enumerated() {
            if self.byIdentity[repository.identity] == nil { self.byIdentity[repository.identity] = position }
            if self.byPath[repository.identity.path] == nil { self.byPath[repository.identity.path] = position }
        }
    }
}
