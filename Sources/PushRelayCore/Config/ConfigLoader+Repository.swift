import Yams

extension ConfigLoader {
    private static let repositoryKeys: Set<String> = [
        "repository", "secret_env", "secret_file", "insecure_no_signature", "allow_sha1_signature", "honor_skip_ci",
        "routes", "status", "recovery",
    ]
    private static let routeKeys: Set<String> = [
        "branches", "tags", "paths", "workspace", "workspace_name", "template", "template_name", "on_delete",
        "pull_requests",
    ]
    private static let onDeleteKeys: Set<String> = ["template", "template_name"]
    /// `pull_requests.comment`: `summary` when absent.
    private static func commentMode(_ section: YAMLFields, problems: inout [ConfigProblem]) -> PlanCommentMode {
        guard let text = section.string("comment", problems: &problems) else { return .summary }
        guard let mode = PlanCommentMode(rawValue: text) else {
            problems.append(section.problem("comment", "'comment' is 'summary', 'full' or 'off', not '\(text)'"))
            return .summary
        }
        return mode
    }

    private static let pullRequestKeys: Set<String> = ["template", "template_name", "allow_forks", "drafts", "comment"]

    /// One `repos/*.yaml` file.
    func repository(
        from root: Node,
        file: String,
        defaultSecrets: [WebhookSecret],
        problems: inout [ConfigProblem]
    ) -> RepositoryConfig? {
        guard let fields = YAMLFields(root, file: file, what: "a repository file", problems: &problems) else {
            return nil
        }
        let before = problems.count
        fields.reportUnknownKeys(allowed: Self.repositoryKeys, problems: &problems)

        var identity: RepositoryIdentity? = nil
        if let text = fields.string("repository", problems: &problems) {
            identity = RepositoryIdentity(normalizing: text)
            if identity == nil {
                problems.append(
                    fields.problem("repository", "'\(text)' is not a repository (expected host/path or a clone URL)")
                )
            }
        } else if !fields.has("repository") {
            problems.append(
                .init(file: file, line: fields.line, message: "missing 'repository' (such as github.com/acme/infra)")
            )
        }

        let insecure = fields.bool("insecure_no_signature", problems: &problems) ?? false
        let allowSHA1 = fields.bool("allow_sha1_signature", problems: &problems) ?? false
        let honorSkipCI = fields.bool("honor_skip_ci", problems: &problems) ?? true
        let statuses = fields.bool("status", problems: &problems) ?? true
        let recovers = fields.bool("recovery", problems: &problems) ?? true
        let own = self.secrets(fields, prefix: "secret", problems: &problems)
        let secrets = own ?? defaultSecrets
        if secrets.isEmpty && !insecure && own == nil {
            problems.append(
                .init(
                    file: file,
                    line: fields.line,
                    message:
                        "no webhook secret: set secret_env or secret_file here or in pushrelay.yaml (or, to accept unsigned deliveries, insecure_no_signature: true)"
                )
            )
        }
        if insecure && !secrets.isEmpty {
            problems.append(
                fields.problem(
                    "insecure_no_signature",
                    "insecure_no_signature is set but a secret is configured: signatures are still checked",
                    severity: .warning
                )
            )
        }

        var routes: [Route] = []
        if let node = fields.node("routes") {
            if let sequence = node.sequence {
                for item in sequence {
                    if let route = self.route(from: item, file: file, problems: &problems) { routes.append(route) }
                }
                if sequence.isEmpty {
                    problems.append(
                        fields.problem("routes", "'routes' is empty: no push will create a job", severity: .warning)
                    )
                }
            } else {
                problems.append(fields.problem("routes", "'routes' must be a list"))
            }
        } else {
            problems.append(.init(file: file, line: fields.line, message: "missing 'routes'"))
        }

        guard let identity, !problems[before...].contains(where: { $0.severity == .error }) else { return nil }
        return RepositoryConfig(
            identity: identity,
            file: file,
            secrets: secrets,
            insecureNoSignature: insecure && secrets.isEmpty,
            signatureOptions: SignatureOptions(allowSHA1: allowSHA1),
            honorSkipCI: honorSkipCI,
            postsStatuses: statuses,
            recovers: recovers,
            routes: routes
        )
    }

    private func route(from node: Node, file: String, problems: inout [ConfigProblem]) -> Route? {
        guard let fields = YAMLFields(node, file: file, what: "a route", problems: &problems) else { return nil }
        let before = problems.count
        fields.reportUnknownKeys(allowed: Self.routeKeys, problems: &problems)

        let branches = self.patterns(fields, "branches", problems: &problems)
        let tags = self.patterns(fields, "tags", problems: &problems)
        let paths = self.patterns(fields, "paths", problems: &problems)
        if !fields.has("branches") && !fields.has("tags") {
            problems.append(
                .init(
                    file: file,
                    line: fields.line,
                    message: "route has neither 'branches' nor 'tags': it can never match"
                )
            )
        }

        let workspace = self.reference(fields, id: "workspace", name: "workspace_name", problems: &problems)
        let template = self.reference(fields, id: "template", name: "template_name", problems: &problems)
        var onDelete: Reference? = nil
        if let section = fields.mapping("on_delete", problems: &problems) {
            section.reportUnknownKeys(allowed: Self.onDeleteKeys, problems: &problems)
            onDelete = self.reference(section, id: "template", name: "template_name", problems: &problems)
        }
        var pullRequests: PullRequestPlans? = nil
        if let section = fields.mapping("pull_requests", problems: &problems) {
            section.reportUnknownKeys(allowed: Self.pullRequestKeys, problems: &problems)
            if !fields.has("branches") {
                problems.append(
                    fields.problem("pull_requests", "'pull_requests' needs 'branches': the target branches it plans")
                )
            }
            if let template = self.reference(section, id: "template", name: "template_name", problems: &problems) {
                pullRequests = PullRequestPlans(
                    template: template.id ?? "",
                    templateName: template.name,
                    allowForks: section.bool("allow_forks", problems: &problems) ?? false,
                    drafts: section.bool("drafts", problems: &problems) ?? false,
                    comment: Self.commentMode(section, problems: &problems)
                )
            }
        }

        guard let workspace, let template, !problems[before...].contains(where: { $0.severity == .error }) else {
            return nil
        }
        var route = Route(
            file: file,
            line: fields.line,
            branches: branches,
            tags: tags,
            paths: paths,
            workspace: workspace.id ?? "",
            template: template.id ?? "",
            onDeleteTemplate: onDelete?.id
        )
        route.workspaceName = workspace.name
        route.templateName = template.name
        route.onDeleteTemplateName = onDelete?.name
        route.pullRequests = pullRequests
        return route
    }

    private func patterns(_ fields: YAMLFields, _ key: String, problems: inout [ConfigProblem]) -> PatternSet? {
        guard let items = fields.strings(key, problems: &problems) else { return nil }
        if items.isEmpty {
            problems.append(fields.problem(key, "'\(key)' is an empty list: this filter can never match"))
            return nil
        }
        for (text, line) in items {
            do {
                _ = try PatternSet([text])
            } catch {
                problems.append(.init(file: fields.file, line: line, message: error.description))
            }
        }
        return try? PatternSet(items.map(\.value))
    }

    /// An id, or a name to resolve through the Terrakube API.
    private struct Reference {
        var id: String?
        var name: String?
    }

    /// `workspace: <id>` or `workspace_name: <name>`: exactly one of the two.
    private func reference(
        _ fields: YAMLFields,
        id: String,
        name: String,
        problems: inout [ConfigProblem]
    ) -> Reference? {
        if fields.has(id) && fields.has(name) {
            problems.append(fields.problem(name, "give '\(id)' or '\(name)', not both"))
            return nil
        }
        if fields.has(name) {
            return fields.string(name, problems: &problems).map { Reference(id: nil, name: $0) }
        }
        guard fields.has(id) else {
            problems.append(
                .init(file: fields.file, line: fields.line, message: "no '\(id)' (the Terrakube \(id) id) or '\(name)'")
            )
            return nil
        }
        return fields.string(id, problems: &problems).map { Reference(id: $0, name: nil) }
    }
}
