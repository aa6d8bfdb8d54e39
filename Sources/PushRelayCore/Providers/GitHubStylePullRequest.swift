/// The `pull_request` payload of GitHub, and of Gitea and Forgejo, which copied it; Gogs' older shape
/// (`head_branch`, `base_branch`, `head_repo`, `base_repo`, no head sha) is read too.
struct GitHubStylePullRequest: Decodable {
    struct Repository: Decodable {
        var full_name: String?
        var clone_url: String?
        var ssh_url: String?
        var git_url: String?
        var html_url: String?
    }

    struct Branch: Decodable {
        var ref: String?
        var sha: String?
        /// `null` when the fork it came from was deleted.
        var repo: Repository?
    }

    struct PullRequest: Decodable {
        var number: Int?
        var draft: Bool?
        var head: Branch?
        var base: Branch?
        var head_branch: String?
        var base_branch: String?
        var head_repo: Repository?
        var base_repo: Repository?
    }

    var action: String?
    var number: Int?
    var pull_request: PullRequest?
    var repository: Repository?

    /// A `pull_request` delivery of GitHub or the Gitea family, whose `planning` actions plan.
    static func delivery(
        _ body: [UInt8],
        provider: ProviderKind,
        planning: Set<String>,
        eventName: String,
        deliveryID: String
    ) throws(PayloadError) -> ProviderDelivery {
        let payload = try PayloadJSON.decode(Self.self, from: body, provider: provider)
        let event = WebhookEvent(kind: payload.event(planning: planning), repositoryURLs: payload.repositoryURLs)
        return ProviderDelivery(eventName: eventName, deliveryID: deliveryID, event: event)
    }

    var repositoryURLs: [String] {
        guard let repository = self.repository else { return [] }
        return [repository.clone_url, repository.ssh_url, repository.html_url, repository.git_url].compactMap { $0 }
    }

    /// - Parameter planning: the actions of this host that plan.
    func event(planning: Set<String>) -> WebhookEvent.Kind {
        guard let pull = self.pull_request else {
            return .incompletePullRequest("pull_request payload has no 'pull_request': nothing to plan")
        }
        guard let action = self.action, !action.isEmpty else {
            return .incompletePullRequest("pull_request payload has no 'action': nothing to plan")
        }
        guard let number = self.number ?? pull.number else {
            return .incompletePullRequest("pull_request payload has no 'number': nothing to plan")
        }
        guard let source = pull.head?.ref ?? pull.head_branch, let target = pull.base?.ref ?? pull.base_branch else {
            return .incompletePullRequest("pull_request payload names no head or base branch: nothing to plan")
        }
        let headRepository = pull.head?.repo ?? pull.head_repo
        let baseRepository = pull.base?.repo ?? pull.base_repo ?? self.repository
        // A head repository that is gone (a deleted fork) is not the base repository either.
        let fork =
            headRepository?.full_name?.lowercased() != baseRepository?.full_name?.lowercased()
            || headRepository?.full_name == nil
        return .pullRequest(
            PullRequestEvent(
                number: number,
                action: action,
                notPlanning: PullRequestEvent.notPlanning(action, planning: planning),
                sourceBranch: source,
                targetBranch: target,
                headCommit: pull.head?.sha,
                fork: fork,
                draft: pull.draft ?? false
            )
        )
    }
}
