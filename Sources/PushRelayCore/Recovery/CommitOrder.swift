import Foundation

/// Whether a commit is newer than a ref's remembered head, as the host's compare API says (SPEC section
/// 12's "never backwards"): each host kind's request, and its answer read.
package enum CommitOrder: Sendable, Equatable {
    /// The remembered head does not contain it: a push to act on.
    case newer
    /// The remembered head already contains it (or is it): a late delivery of an older push.
    case older
    /// The host cannot say (no API, a refusal, an answer not understood): the push is acted on, and the
    /// reason says why.
    case unknown(String)

    /// The request that asks whether `base` contains `head`; `nil` for a kind without one (Gogs).
    package static func request(
        kind: GitHostKind,
        repository: String,
        base: String,
        head: String,
        apiURL: String,
        token: APIToken?
    ) -> StatusRequest? {
        guard let (api, root) = Self.repositoryAPI(kind: kind, repository: repository, apiURL: apiURL) else {
            return nil
        }
        let (base, head) = (base.pathSegmentEncoded, head.pathSegmentEncoded)
        let url =
            switch kind {
            case .github, .gitea: "\(root)/compare/\(base)...\(head)"
            case .gitlab: "\(root)/repository/compare?from=\(base)&to=\(head)"
            case .bitbucketCloud: "\(root)/commits/\(head)?exclude=\(base)&pagelen=1"
            case .bitbucketServer: "\(root)/commits?since=\(base)&until=\(head)&limit=1"
            case .azureDevOps:
                "\(root)/diffs/commits?baseVersion=\(base)&baseVersionType=commit&targetVersion=\(head)"
                    + "&targetVersionType=commit&$top=1&api-version=7.1"
            case .gogs: ""
            }
        guard !url.isEmpty else { return nil }
        return StatusRequest(get: url, headers: token.map(api.headers) ?? [])
    }

    /// The kind's API (its headers) and the repository's REST root, without the query some kinds read it
    /// with (Azure DevOps' `api-version`); `nil` for a kind without a REST API PushRelay calls.
    static func repositoryAPI(
        kind: GitHostKind,
        repository: String,
        apiURL: String
    ) -> (api: any StatusAPIKind.Type, root: String)? {
        guard let api = StatusHostKind(rawValue: kind.rawValue)?.api, !apiURL.isEmpty else { return nil }
        return (api, String(api.readURL(repository: repository, apiURL: apiURL).prefix { $0 != "?" }))
    }

    /// What the answer to ``request(kind:repository:base:head:apiURL:token:)`` says.
    package static func read(kind: GitHostKind, status: Int, body: [UInt8]) -> CommitOrder {
        guard (200...299).contains(status) else { return .unknown("the host's compare answered HTTP \(status)") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .unknown("the host's compare answer is not JSON")
        }
        let count = { (key: String) -> Int? in (object[key] as? [Any])?.count }
        let commitsOnlyInHead: Int? =
            switch kind {
            case .github:
                (object["status"] as? String).map { $0 == "behind" || $0 == "identical" ? 0 : 1 }
            case .gitea: (object["total_commits"] as? Int) ?? count("commits")
            case .gitlab: count("commits")
            case .bitbucketCloud, .bitbucketServer: count("values")
            case .azureDevOps: object["aheadCount"] as? Int
            case .gogs: nil
            }
        guard let commitsOnlyInHead else { return .unknown("the host's compare answer says neither way") }
        return commitsOnlyInHead == 0 ? .older : .newer
    }
}
