import Foundation

/// What a delivery would do, per changed ref, without sending or storing anything: `replay --dry-run`.
/// It is `serve`'s ``DeliveryAssessment``, reporting the signature instead of refusing on it.
package struct ReplayEvaluation: Sendable, Equatable {
    package var provider: ProviderKind
    package var event: String
    package var deliveryID: String
    /// The normalised identity (the path alone when the payload names no host).
    package var repository: String?
    /// `valid`, `invalid`, `absent` or `not-checked`.
    package var signature: SignatureCheck
    /// One per changed ref (most deliveries change one; a Bitbucket push can change several).
    package var refs: [RefDecision]

    package static func evaluate(
        _ input: ReplayInput,
        config: RelayConfig,
        now: Date = Date()
    ) throws(PayloadError)
        -> ReplayEvaluation
    {
        let assessment = try DeliveryAssessment.assess(
            provider: WebhookProviders.provider(for: input.provider),
            headers: input.headers,
            body: input.body,
            config: Self.showingNames(config),
            checksSignature: input.bodyIsOriginal,
            decidesUnverified: true,
            now: now
        )
        var refs = assessment.refs
        if let refusal = assessment.refusal {
            // What `serve` answers: nothing is stored or sent.
            refs = refs.map { ref in
                var ref = ref
                ref.decision = .ignore
                ref.reason = "refused (400): " + refusal
                ref.jobs = []
                return ref
            }
        }
        let delivery = assessment.delivery
        return ReplayEvaluation(
            provider: input.provider,
            event: delivery.eventName,
            deliveryID: delivery.deliveryID,
            repository: (assessment.repository?.identity ?? delivery.event.repositoryIdentities.first)?.description,
            signature: assessment.signature,
            refs: refs
        )
    }

    /// A route given by name and not resolved (a dry run without `--online`) shows `name:<name>` where the
    /// id would be.
    private static func showingNames(_ config: RelayConfig) -> RelayConfig {
        var config = config
        config.repositories = config.repositories.map(Self.showingNames)
        return config
    }

    private static func showingNames(_ repository: RepositoryConfig) -> RepositoryConfig {
        var repository = repository
        repository.routes = repository.routes.map { route in
            var route = route
            if route.workspace.isEmpty, let name = route.workspaceName { route.workspace = "name:" + name }
            if route.template.isEmpty, let name = route.templateName { route.template = "name:" + name }
            if route.onDeleteTemplate == nil, let name = route.onDeleteTemplateName {
                route.onDeleteTemplate = "name:" + name
            }
            if route.pullRequests?.template.isEmpty == true, let name = route.pullRequests?.templateName {
                route.pullRequests?.template = "name:" + name
            }
            return route
        }
        return repository
    }

    /// The JSON Lines objects of SPEC section 8, one per changed ref, keys in the contract's order.
    package func jsonLines(file: String) -> [String] {
        self.refs.map { ref in
            let jobs = ref.jobs.map { job in
                JSONText.object([
                    ("organization", JSONText.quote(job.organization)), ("workspace", JSONText.quote(job.workspace)),
                    ("template", JSONText.quote(job.template)),
                    (
                        "request",
                        JSONText.object([
                            ("method", JSONText.quote("POST")),
                            ("path", JSONText.quote(TerrakubeJobDocument.path(organization: job.organization))),
                            ("body", String(decoding: TerrakubeJobDocument(job).encoded(), as: UTF8.self)),
                        ])
                    ),
                ])
            }
            let optional = { (text: String?) in text.map(JSONText.quote) ?? "null" }
            // A pull request names no ref: `branch` is its source branch, `commit` its head.
            let pullRequest = ref.pullRequest.map { pull in
                [
                    (
                        "pull_request",
                        JSONText.object([
                            ("number", String(pull.number)), ("target", JSONText.quote(pull.targetBranch)),
                            ("fork", pull.fork ? "true" : "false"), ("action", JSONText.quote(pull.action)),
                        ])
                    )
                ]
            }
            return JSONText.object(
                [
                    ("file", JSONText.quote(file)), ("provider", JSONText.quote(self.provider.rawValue)),
                    ("event", JSONText.quote(self.event)), ("delivery", JSONText.quote(self.deliveryID)),
                    ("repository", optional(self.repository)), ("ref", optional(ref.ref?.name)),
                    ("branch", optional(ref.pullRequest?.sourceBranch ?? ref.ref?.branch)),
                    ("tag", optional(ref.ref?.tag)), ("commit", optional(ref.deleted ? nil : ref.commit)),
                    ("deleted", ref.deleted ? "true" : "false"),
                    ("signature", JSONText.quote(self.signature.description)),
                    ("decision", JSONText.quote(ref.decision.rawValue)), ("reason", JSONText.quote(ref.reason)),
                    ("jobs", "[" + jobs.joined(separator: ",") + "]"),
                ] + (pullRequest ?? [])
            )
        }
    }
}
