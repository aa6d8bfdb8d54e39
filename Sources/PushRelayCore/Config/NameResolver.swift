/// Turns the names a config gives (`organization_name`, `workspace_name`, `template_name`) into ids
/// through Terrakube's lookups, each name asked once. `serve` refuses to start, and `check --online`
/// fails, on a name that does not resolve, naming the route's file and line.
package struct NameResolver<Directory: TerrakubeDirectory>: Sendable {
    package let directory: Directory
    /// Tries per lookup when Terrakube is unavailable; then the name is reported as unresolved.
    package var attempts: Int = 3
    package var retryDelay: Duration = .seconds(1)

    package init(directory: Directory) {
        self.directory = directory
    }

    package func resolve(_ config: RelayConfig, servicePath: String) async -> (RelayConfig?, [ConfigProblem]) {
        var config = config
        var problems: [ConfigProblem] = []
        if let name = config.settings.terrakube.organizationName {
            switch await self.lookUp({ () async throws(TerrakubeFailure) in
                try await self.directory.organizationID(named: name)
            }) {
            case .success(let id?): config.settings.terrakube.organization = id
            case .success(nil):
                problems.append(
                    .init(file: servicePath, line: nil, message: "organization '\(name)' not found in Terrakube")
                )
            case .failure(let failure):
                problems.append(
                    .init(file: servicePath, line: nil, message: "cannot resolve organization '\(name)': \(failure)")
                )
            }
        }
        guard problems.isEmpty else { return (nil, problems) }
        let organization = config.settings.terrakube.organization
        var workspaces: [String: Result<String?, TerrakubeFailure>] = [:]
        var templates: [String: Result<String?, TerrakubeFailure>] = [:]
        for index in config.repositories.indices {
            for routeIndex in config.repositories[index].routes.indices {
                var route = config.repositories[index].routes[routeIndex]
                if let name = route.workspaceName {
                    let result = await self.cached(&workspaces, name) { () async throws(TerrakubeFailure) in
                        try await self.directory.workspaceID(named: name, organization: organization)
                    }
                    route.workspace =
                        self.id(result, kind: "workspace", name: name, route: route, problems: &problems) ?? ""
                }
                let names: [(String?, WritableKeyPath<Route, String?>)] = [
                    (route.templateName, \.templateID), (route.onDeleteTemplateName, \.onDeleteTemplate),
                    (route.pullRequests?.templateName, \.pullRequestTemplateID),
                ]
                for (name, field) in names {
                    guard let name else { continue }
                    let result = await self.cached(&templates, name) { () async throws(TerrakubeFailure) in
                        try await self.directory.templateID(named: name, organization: organization)
                    }
                    route[keyPath: field] = self.id(
                        result,
                        kind: "template",
                        name: name,
                        route: route,
                        problems: &problems
                    )
                }
                config.repositories[index].routes[routeIndex] = route
            }
        }
        return problems.isEmpty ? (config, []) : (nil, problems)
    }

    private func id(
        _ result: Result<String?, TerrakubeFailure>,
        kind: String,
        name: String,
        route: Route,
        problems: inout [ConfigProblem]
    ) -> String? {
        switch result {
        case .success(let id?):
            return id
        case .success(nil):
            problems.append(
                .init(file: route.file, line: route.line, message: "\(kind) '\(name)' not found in Terrakube")
            )
        case .failure(let failure):
            problems.append(
                .init(file: route.file, line: route.line, message: "cannot resolve \(kind) '\(name)': \(failure)")
            )
        }
        return nil
    }

    private func cached(
        _ cache: inout [String: Result<String?, TerrakubeFailure>],
        _ name: String,
        _ lookup: () async throws(TerrakubeFailure) -> String?
    ) async -> Result<String?, TerrakubeFailure> {
        if let known = cache[name] { return known }
        let result = await self.lookUp(lookup)
        cache[name] = result
        return result
    }

    /// Retries while Terrakube is unavailable; a permanent answer (a 401, say) is final at once.
    private func lookUp(
        _ lookup: () async throws(TerrakubeFailure) -> String?
    ) async -> Result<String?, TerrakubeFailure> {
        var last: TerrakubeFailure = .retryable(status: nil, reason: "not tried", retryAfter: nil)
        for attempt in 1...max(self.attempts, 1) {
            do {
                return .success(try await lookup())
            } catch {
                last = error
                guard case .retryable = error, attempt < self.attempts else { break }
                try? await Task.sleep(for: self.retryDelay)
            }
        }
        return .failure(last)
    }
}

extension Route {
    /// The route's template id, as the optional the resolver writes (`nil` stays empty).
    fileprivate var templateID: String? {
        get { self.template.isEmpty ? nil : self.template }
        set { self.template = newValue ?? "" }
    }

    /// The `pull_requests` template id, as the optional the resolver writes.
    fileprivate var pullRequestTemplateID: String? {
        get { self.pullRequests?.template }
        set { self.pullRequests?.template = newValue ?? "" }
    }
}
