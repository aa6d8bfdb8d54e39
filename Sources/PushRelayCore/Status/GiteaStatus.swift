/// Gitea and Forgejo: GitHub's body under `{api}/repos/{owner}/{repo}/statuses/{sha}`, with Gitea's token
/// scheme. There is no public default: every instance is self-hosted (`https://HOST/api/v1`).
package enum GiteaStatus: StatusAPIKind {
    package static let defaultAPIURL: String? = nil

    package static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest {
        GitHubStatus.request(post, apiURL: apiURL, headers: self.headers(token))
    }

    package static func headers(_ token: APIToken) -> [(name: String, value: String)] {
        [("Authorization", "token \(token.value)")]
    }

    package static func readURL(repository: String, apiURL: String) -> String {
        GitHubStatus.readURL(repository: repository, apiURL: apiURL)
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        GitHubStatus.state(of: post, previous: previous)
    }
}
