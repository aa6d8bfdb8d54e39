/// Bitbucket's pull request payloads: Cloud's `pullrequest:*` (`pullrequest.source`/`destination`, a
/// 12-character head hash) and Data Center's `pr:*` (`pullRequest.fromRef`/`toRef`, a full one).
struct BitbucketPullRequest: Decodable {
    struct Link: Decodable {
        var href: String?
    }

    struct Project: Decodable {
        var key: String?
    }

    struct Repository: Decodable {
        struct Links: Decodable {
            var clone: [Link]?
        }

        var full_name: String?
        var slug: String?
        var project: Project?
        var links: Links?

        init(from decoder: any Decoder) throws {
            // Cloud's `links` hold single links where Data Center's hold lists: only the lists are read.
            let container = try decoder.container(keyedBy: Keys.self)
            self.full_name = try container.decodeIfPresent(String.self, forKey: .full_name)
            self.slug = try container.decodeIfPresent(String.self, forKey: .slug)
            self.project = try container.decodeIfPresent(Project.self, forKey: .project)
            self.links = try? container.decodeIfPresent(Links.self, forKey: .links)
        }

        private enum Keys: String, CodingKey {
            case full_name, slug, project, links
        }

        /// Data Center's project key and slug.
        var path: String? { self.project?.key.flatMap { key in self.slug.map { key + "/" + $0 } } }
    }

    struct CloudEnd: Decodable {
        struct Named: Decodable {
            var name: String?
        }

        struct Commit: Decodable {
            var hash: String?
        }

        var branch: Named?
        var commit: Commit?
        /// `null` when the fork it came from was deleted.
        var repository: Repository?
    }

    struct CloudPullRequest: Decodable {
        var id: Int?
        var draft: Bool?
        var source: CloudEnd?
        var destination: CloudEnd?
    }

    struct ServerRef: Decodable {
        var id: String?
        var displayId: String?
        var latestCommit: String?
        var repository: Repository?
    }

    struct ServerPullRequest: Decodable {
        var id: Int?
        var draft: Bool?
        var fromRef: ServerRef?
        var toRef: ServerRef?
    }

    var pullrequest: CloudPullRequest?
    var pullRequest: ServerPullRequest?
    var repository: Repository?

    /// Cloud's events that plan: a new pull request, or an update (which is also sent for edits of its
    /// title; the head commit tells them apart downstream).
    static let cloudPlanning: Set<String> = ["pullrequest:created", "pullrequest:updated"]
    /// Data Center's: a new pull request, or new commits on its source branch.
    static let serverPlanning: Set<String> = ["pr:opened", "pr:from_ref_updated"]

    /// Whether `eventName` is a pull request event of either Bitbucket.
    static func isPullRequest(_ eventName: String) -> Bool {
        eventName.hasPrefix("pullrequest:") || eventName.hasPrefix("pr:")
    }

    static func read(_ body: [UInt8], eventName: String) throws(PayloadError) -> WebhookEvent {
        let payload = try PayloadJSON.decode(Self.self, from: body, provider: .bitbucket)
        if let pull = payload.pullrequest {
            guard let fullName = payload.repository?.full_name else {
                throw PayloadError("pull request payload names no repository")
            }
            let urls = ["bitbucket.org/" + fullName]
            guard let number = pull.id, let source = pull.source?.branch?.name,
                let target = pull.destination?.branch?.name
            else {
                return WebhookEvent(
                    kind: .incompletePullRequest("pull request payload lacks its id or branches: nothing to plan"),
                    repositoryURLs: urls
                )
            }
            let sourceRepository = pull.source?.repository?.full_name?.lowercased()
            let event = PullRequestEvent(
                number: number,
                action: eventName,
                notPlanning: PullRequestEvent.notPlanning(eventName, planning: Self.cloudPlanning),
                sourceBranch: source,
                targetBranch: target,
                headCommit: pull.source?.commit?.hash,
                headCommitAbbreviated: (pull.source?.commit?.hash?.utf8.count ?? 40) < 40,
                fork: sourceRepository == nil
                    || sourceRepository != (pull.destination?.repository?.full_name ?? fullName).lowercased(),
                draft: pull.draft ?? false
            )
            return WebhookEvent(kind: .pullRequest(event), repositoryURLs: urls)
        }
        guard let pull = payload.pullRequest else {
            throw PayloadError("\(eventName) payload has no 'pullrequest' or 'pullRequest'")
        }
        guard let to = pull.toRef, to.repository?.path != nil || to.repository?.links?.clone?.isEmpty == false else {
            throw PayloadError("pull request payload names no target repository")
        }
        guard let number = pull.id, let from = pull.fromRef,
            let source = from.displayId ?? from.id.map(PullRequestEvent.branch),
            let target = to.displayId ?? to.id.map(PullRequestEvent.branch)
        else {
            return WebhookEvent(
                kind: .incompletePullRequest("pull request payload lacks its id or branches: nothing to plan"),
                repositoryURLs: (to.repository?.links?.clone ?? []).compactMap(\.href),
                otherIdentities: to.repository?.path.map { [RepositoryIdentity(host: "", path: $0)] } ?? []
            )
        }
        let event = PullRequestEvent(
            number: number,
            action: eventName,
            notPlanning: PullRequestEvent.notPlanning(eventName, planning: Self.serverPlanning),
            sourceBranch: source,
            targetBranch: target,
            headCommit: from.latestCommit,
            fork: from.repository?.path?.lowercased() != to.repository?.path?.lowercased()
                || to.repository?.path == nil,
            draft: pull.draft ?? false
        )
        return WebhookEvent(
            kind: .pullRequest(event),
            repositoryURLs: (to.repository?.links?.clone ?? []).compactMap(\.href),
            otherIdentities: to.repository?.path.map { [RepositoryIdentity(host: "", path: $0)] } ?? []
        )
    }
}
