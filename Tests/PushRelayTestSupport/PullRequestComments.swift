import Foundation
import Hummingbird
import Synchronization

/// Pull request comments as each host kind's API keeps them, for the Git-host stand-in: created with an id
/// (Bitbucket Data Center's with a version, Azure DevOps' in a thread), edited in place by it, `404` once
/// deleted. GitHub and Gitea `…/issues/{n}/comments`, GitLab `…/merge_requests/{iid}/notes`, Bitbucket
/// Cloud `…/pullrequests/{id}/comments`, Data Center `…/pull-requests/{id}/comments`, Azure DevOps
/// `…/pullRequests/{id}/threads`.
package final class PullRequestComments: Sendable {
    package struct Comment: Sendable {
        package var id: Int
        /// The request path the comment was created at (its pull request's).
        package var path: String
        package var body: String
        package var version = 0
        package var edits = 0
    }

    private struct State {
        var comments: [Comment] = []
        var nextID = 100
    }

    private let state = Mutex(State())

    package init() {}

    /// Every comment the stand-in has, oldest first.
    package var all: [Comment] { self.state.withLock { $0.comments } }

    /// Deletes the comment, as a person on the host would.
    package func delete(_ id: Int) {
        self.state.withLock { $0.comments.removeAll { $0.id == id } }
    }

    func answer(_ method: String, target: String, body: [UInt8]) -> Response? {
        let path = String(target.split(separator: "?", maxSplits: 1)[0])
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        let text =
            (json["body"] as? String) ?? ((json["content"] as? [String: Any])?["raw"] as? String)
            ?? (json["text"] as? String) ?? (json["content"] as? String)
            ?? ((json["comments"] as? [[String: Any]])?.first?["content"] as? String)
        let creates = ["/comments", "/notes", "/threads"]
        if method == "POST", creates.contains(where: { path.hasSuffix($0) }), let text {
            let comment = self.state.withLock { state -> Comment in
                state.nextID += 1
                let comment = Comment(id: state.nextID, path: path, body: text)
                state.comments.append(comment)
                return comment
            }
            if path.hasSuffix("/threads") {
                return GitHostStandIn.json(200, ["id": comment.id, "comments": [["id": 1, "content": text]]])
            }
            return GitHostStandIn.json(201, ["id": comment.id, "version": 0, "body": text])
        }
        guard ["PATCH", "PUT"].contains(method), let text else { return nil }
        // `…/comments/{id}`, `…/notes/{id}`, `…/threads/{thread}/comments/{n}`.
        let parts = path.split(separator: "/")
        let id: Int? =
            path.contains("/threads/")
            ? parts.firstIndex(of: "threads").flatMap { Int(parts[$0 + 1]) } : Int(parts.last ?? "")
        guard let id else { return nil }
        let edited = self.state.withLock { state -> Comment? in
            guard let index = state.comments.firstIndex(where: { $0.id == id }) else { return nil }
            if let version = json["version"] as? Int, version != state.comments[index].version { return nil }
            state.comments[index].body = text
            state.comments[index].version += 1
            state.comments[index].edits += 1
            return state.comments[index]
        }
        guard let edited else { return GitHostStandIn.json(404, ["message": "Not Found"]) }
        return GitHostStandIn.json(200, ["id": path.contains("/threads/") ? 1 : edited.id, "version": edited.version])
    }
}
