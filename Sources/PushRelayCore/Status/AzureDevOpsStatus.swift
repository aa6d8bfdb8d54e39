import Foundation

/// Azure DevOps: `POST {api}/{org}/{project}/_apis/git/repositories/{repo}/commits/{sha}/statuses`, with a
/// personal access token as `Basic base64(":" + token)`. The context splits at its first `/`: the genre is
/// `status.context`, the name the rest (the workspace).
package enum AzureDevOpsStatus: StatusAPIKind {
    package static let defaultAPIURL: String? = "https://dev.azure.com"

    package static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest {
        let split = post.context.split(separator: "/", maxSplits: 1).map(String.init)
        let (genre, name) = split.count == 2 ? (split[0], split[1]) : ("", post.context)
        var json: [String: Any] = [
            "state": self.state(of: post, previous: previous), "description": post.status.description,
            "context": ["genre": genre, "name": name],
        ]
        if let link = post.status.targetURL { json["targetUrl"] = link }
        return StatusRequest(
            url: "\(self.repositoryURL(post.repository, apiURL: apiURL))/commits/\(post.commit)/statuses"
                + "?api-version=7.1",
            headers: self.headers(token),
            json: json
        )
    }

    package static func headers(_ token: APIToken) -> [(name: String, value: String)] {
        [("Authorization", "Basic \(Data((":" + token.value).utf8).base64EncodedString())")]
    }

    package static func readURL(repository: String, apiURL: String) -> String {
        self.repositoryURL(repository, apiURL: apiURL) + "?api-version=7.1"
    }

    /// `org/project/repo` as `{api}/org/project/_apis/git/repositories/repo`.
    private static func repositoryURL(_ repository: String, apiURL: String) -> String {
        let parts = repository.split(separator: "/", maxSplits: 2).map(String.init)
        let (org, project, repo) = (
            parts.first ?? "", parts.count > 1 ? parts[1] : "", parts.count > 2 ? parts[2] : ""
        )
        return "\(apiURL)/\(org)/\(project)/_apis/git/repositories/\(repo)"
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        switch post.status.state {
        case .pending: "pending"
        case .success: "succeeded"
        case .failure: "failed"
        case .error: "error"
        }
    }
}
