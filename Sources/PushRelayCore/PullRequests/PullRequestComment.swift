import Foundation

/// Each host kind's requests for PushRelay's one comment on a pull request (SPEC section 13): create it,
/// edit it in place, and what identifies it afterwards (kept in the store, so that any replica edits it).
/// Gogs has no API for it.
package enum PullRequestComment {
    /// How long a comment the host takes: GitHub 65,536 characters, Bitbucket Data Center 32,768, Azure
    /// DevOps 150,000, GitLab 1,000,000; Gitea and Bitbucket Cloud document none, and get GitHub's and
    /// Data Center's.
    package static func limit(_ kind: GitHostKind) -> Int {
        switch kind {
        case .github, .gitea, .gogs: 65_536
        case .gitlab: 1_000_000
        case .bitbucketCloud, .bitbucketServer: 32_768
        case .azureDevOps: 150_000
        }
    }

    /// Whether the host renders `<details>` (the Bitbucket kinds show HTML as text).
    package static func folds(_ kind: GitHostKind) -> Bool {
        kind != .bitbucketCloud && kind != .bitbucketServer
    }

    /// `POST`s a new comment with `body`.
    package static func create(
        kind: GitHostKind,
        repository: String,
        number: Int,
        body: String,
        apiURL: String,
        token: APIToken
    ) -> StatusRequest? {
        guard let (api, root) = CommitOrder.repositoryAPI(kind: kind, repository: repository, apiURL: apiURL) else {
            return nil
        }
        let headers = api.headers(token)
        return switch kind {
        case .github, .gitea:
            StatusRequest(url: "\(root)/issues/\(number)/comments", headers: headers, json: ["body": body])
        case .gitlab:
            StatusRequest(url: "\(root)/merge_requests/\(number)/notes", headers: headers, json: ["body": body])
        case .bitbucketCloud:
            StatusRequest(
                url: "\(root)/pullrequests/\(number)/comments",
                headers: headers,
                json: ["content": ["raw": body]]
            )
        case .bitbucketServer:
            StatusRequest(url: "\(root)/pull-requests/\(number)/comments", headers: headers, json: ["text": body])
        case .azureDevOps:
            StatusRequest(
                url: "\(root)/pullRequests/\(number)/threads?api-version=7.1",
                headers: headers,
                json: ["comments": [["parentCommentId": 0, "content": body, "commentType": 1]], "status": 1]
            )
        case .gogs: nil
        }
    }

    /// Edits the comment `reference` names (``reference(kind:created:)``) to `body`.
    package static func edit(
        kind: GitHostKind,
        repository: String,
        number: Int,
        reference: String,
        body: String,
        apiURL: String,
        token: APIToken
    ) -> StatusRequest? {
        guard let (api, root) = CommitOrder.repositoryAPI(kind: kind, repository: repository, apiURL: apiURL) else {
            return nil
        }
        let headers = api.headers(token)
        let parts = reference.split(separator: "/").map(String.init)
        return switch kind {
        case .github, .gitea:
            StatusRequest(
                method: "PATCH",
                url: "\(root)/issues/comments/\(reference)",
                headers: headers,
                json: ["body": body]
            )
        case .gitlab:
            StatusRequest(
                method: "PUT",
                url: "\(root)/merge_requests/\(number)/notes/\(reference)",
                headers: headers,
                json: ["body": body]
            )
        case .bitbucketCloud:
            StatusRequest(
                method: "PUT",
                url: "\(root)/pullrequests/\(number)/comments/\(reference)",
                headers: headers,
                json: ["content": ["raw": body]]
            )
        case .bitbucketServer where parts.count == 2:
            // Data Center edits a comment only at the version it has: `id/version`.
            StatusRequest(
                method: "PUT",
                url: "\(root)/pull-requests/\(number)/comments/\(parts[0])",
                headers: headers,
                json: ["text": body, "version": Int(parts[1]) ?? 0]
            )
        case .azureDevOps where parts.count == 2:
            // A thread and its first comment: `thread/comment`.
            StatusRequest(
                method: "PATCH",
                url: "\(root)/pullRequests/\(number)/threads/\(parts[0])/comments/\(parts[1])?api-version=7.1",
                headers: headers,
                json: ["content": body]
            )
        default: nil
        }
    }

    /// What identifies the comment a create or an edit answered with: its id; Data Center's `id/version`;
    /// Azure DevOps' `thread/comment`. `nil` when the answer does not say.
    package static func reference(kind: GitHostKind, answer body: [UInt8], previous: String? = nil) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return kind == .azureDevOps ? previous : nil
        }
        switch kind {
        case .bitbucketServer:
            guard let id = object["id"] as? Int, let version = object["version"] as? Int else { return nil }
            return "\(id)/\(version)"
        case .azureDevOps:
            // An edit answers with the comment alone; the thread is the one it had.
            if let thread = object["id"] as? Int,
                let comment = (object["comments"] as? [[String: Any]])?.first?["id"] as? Int
            {
                return "\(thread)/\(comment)"
            }
            return previous
        default:
            return (object["id"] as? Int).map(String.init)
        }
    }
}
