/// GitHub and GitHub Enterprise: `POST {api}/repos/{owner}/{repo}/statuses/{sha}`.
package enum GitHubStatus: StatusAPIKind {
    package static let defaultAPIURL: String? = "https://api.github.com"

    package static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest {
        self.request(post, apiURL: apiURL, headers: self.headers(token))
    }

    package static func headers(_ token: APIToken) -> [(name: String, value: String)] {
        self.headers(bearer: token.value)
    }

    /// A token or, for a GitHub App's own calls, its JWT.
    static func headers(bearer: String) -> [(name: String, value: String)] {
        [
            ("Authorization", "Bearer \(bearer)"), ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"),
        ]
    }

    package static func readURL(repository: String, apiURL: String) -> String {
        "\(apiURL)/repos/\(repository)"
    }

    /// GitHub's path and body, which Gitea and Forgejo take as they are: only the headers differ.
    static func request(_ post: StatusPost, apiURL: String, headers: [(name: String, value: String)]) -> StatusRequest {
        var json: [String: Any] = [
            "state": post.status.state.rawValue, "description": post.status.description, "context": post.context,
        ]
        if let link = post.status.targetURL { json["target_url"] = link }
        return StatusRequest(
            url: "\(apiURL)/repos/\(post.repository)/statuses/\(post.commit)",
            headers: headers,
            json: json
        )
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        post.status.state.rawValue
    }
}
