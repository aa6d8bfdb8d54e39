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
        var json: [String: Any] = [
            "state": self.state(of: post, previous: previous), "description": post.status.description,
            "context": post.context,
        ]
        if let link = post.status.targetURL { json["target_url"] = link }
        return StatusRequest(
            url: "\(apiURL)/repos/\(post.repository)/statuses/\(post.commit)",
            headers: [("Authorization", "token \(token.value)")],
            json: json
        )
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        post.status.state.rawValue
    }
}
