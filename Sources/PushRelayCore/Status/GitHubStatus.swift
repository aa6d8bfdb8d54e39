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
        var json: [String: Any] = [
            "state": self.state(of: post, previous: previous), "description": post.status.description,
            "context": post.context,
        ]
        if let link = post.status.targetURL { json["target_url"] = link }
        return StatusRequest(
            url: "\(apiURL)/repos/\(post.repository)/statuses/\(post.commit)",
            headers: [
                ("Authorization", "Bearer \(token.value)"), ("Accept", "application/vnd.github+json"),
                ("X-GitHub-Api-Version", "2022-11-28"),
            ],
            json: json
        )
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        post.status.state.rawValue
    }
}
