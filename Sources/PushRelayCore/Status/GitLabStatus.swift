/// GitLab: `POST {api}/projects/{url-encoded path}/statuses/{sha}`. A status there is a job of an external
/// pipeline, which moves only forward: `pending`, then `running`, then an end. Going back, or repeating a
/// state to change its text, is a `400` ("Cannot transition status"), so a job waiting for approval stays
/// `running`, and nothing goes back from `running` to `pending`.
package enum GitLabStatus: StatusAPIKind {
    package static let defaultAPIURL: String? = "https://gitlab.com/api/v4"

    package static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest {
        var json: [String: Any] = [
            "state": self.state(of: post, previous: previous), "description": post.status.description,
            "name": post.context,
        ]
        if let link = post.status.targetURL { json["target_url"] = link }
        return StatusRequest(
            url: "\(apiURL)/projects/\(post.repository.pathSegmentEncoded)/statuses/\(post.commit)",
            headers: self.headers(token),
            json: json
        )
    }

    package static func headers(_ token: APIToken) -> [(name: String, value: String)] {
        [("PRIVATE-TOKEN", token.value)]
    }

    package static func readURL(repository: String, apiURL: String) -> String {
        "\(apiURL)/projects/\(repository.pathSegmentEncoded)"
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        switch post.status.state {
        case .success: return "success"
        case .failure: return "failed"
        case .error: return post.status.terrakubeState == "cancelled" ? "canceled" : "failed"
        case .pending:
            let started = ["running", "waitingApproval", "approved"].contains(post.status.terrakubeState ?? "")
            return started || previous == "running" ? "running" : "pending"
        }
    }

    /// GitLab's answer to a state the status already has: the post has nothing left to do.
    package static func isAlreadyThere(status: Int, body: String) -> Bool {
        status == 400 && body.contains("Cannot transition status")
    }
}
