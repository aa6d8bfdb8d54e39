/// Bitbucket Data Center (Server): the repository's builds,
/// `POST {api}/rest/api/latest/projects/{key}/repos/{slug}/commits/{sha}/builds`, with `CANCELLED` where
/// Cloud says `STOPPED`. Self-hosted only: the API root is `https://HOST` (with any context path).
package enum BitbucketServerStatus: StatusAPIKind {
    package static let defaultAPIURL: String? = nil

    package static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest {
        StatusRequest(
            url: "\(self.readURL(repository: post.repository, apiURL: apiURL))/commits/\(post.commit)/builds",
            headers: self.headers(token),
            json: BitbucketStatusBody.json(
                post,
                state: self.state(of: post, previous: previous),
                fallbackURL: fallbackURL
            )
        )
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        BitbucketStatusBody.state(post.status, cancelled: "CANCELLED")
    }

    package static func headers(_ token: APIToken) -> [(name: String, value: String)] {
        [("Authorization", "Bearer \(token.value)"), ("X-Atlassian-Token", "no-check")]
    }

    /// `KEY/slug` as `{api}/rest/api/latest/projects/KEY/repos/slug`.
    package static func readURL(repository: String, apiURL: String) -> String {
        let parts = repository.split(separator: "/", maxSplits: 1).map(String.init)
        let (project, slug) = (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        return "\(apiURL)/rest/api/latest/projects/\(project)/repos/\(slug)"
    }
}
