/// The whole validated config directory: what `serve` runs on and what `check` validates.
package struct RelayConfig: Sendable, Equatable {
    package var settings: ServiceSettings
    package var repositories: [RepositoryConfig]
    /// Problems that do not stop the service (printed by `check`, logged by `serve`).
    package var warnings: [ConfigProblem]

    package init(settings: ServiceSettings, repositories: [RepositoryConfig], warnings: [ConfigProblem] = []) {
        self.settings = settings
        self.repositories = repositories
        self.warnings = warnings
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
            if let exact = self.repositories.first(where: { $0.identity == identity }) { return exact }
        }
        return self.repository(for: event.repositoryIdentities)
    }

    /// The configured repository for any of a payload's identities. An identity without a host (a payload
    /// that names only a path) matches on the path alone.
    package func repository(for identities: [RepositoryIdentity]) -> RepositoryConfig? {
        for identity in identities {
            if let exact = self.repositories.first(where: { $0.identity == identity }) { return exact }
        }
        for identity in identities where identity.host.isEmpty {
            if let byPath = self.repositories.first(where: { $0.identity.path == identity.path }) { return byPath }
        }
        return nil
    }
}
