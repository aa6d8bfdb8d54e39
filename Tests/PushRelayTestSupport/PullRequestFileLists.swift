import Foundation
import Hummingbird
import Synchronization

/// Pull requests' changed files as each host kind's API lists them, for the Git-host stand-in: GitHub and
/// Gitea `…/pulls/{n}/files` (paged with `Link`), GitLab `…/merge_requests/{iid}/diffs`, Bitbucket Cloud
/// `…/pullrequests/{id}/diffstat` (a redirect to the commit range's diffstat, as Bitbucket answers it),
/// Bitbucket Data Center `…/pull-requests/{id}/changes`, Azure DevOps `…/pullRequests/{id}/iterations` and
/// the last iteration's `changes`.
package final class PullRequestFileLists: Sendable {
    package enum Kind: Sendable {
        case github, gitea, gitlab, bitbucketCloud, bitbucketServer, azureDevOps
    }

    private struct List {
        var kind: Kind
        /// The repository's API root path: `/repos/o/r`, `/projects/{id}`, `/repositories/w/r`, ….
        var root: String
        var number: Int
        var files: [String]
    }

    private struct State {
        var lists: [List] = []
        var pageSize = 100
        var refusal: Int?
    }

    private let state = Mutex(State())

    package init() {}

    /// The files of pull request `number` of the repository whose API root path is `root`; replaces any
    /// list set before.
    package func set(_ files: [String], kind: Kind, root: String, number: Int) {
        self.state.withLock { state in
            state.lists.removeAll { $0.root == root && $0.number == number }
            state.lists.append(List(kind: kind, root: root, number: number, files: files))
        }
    }

    /// GitHub and Gitea pages hold this many files, whatever the request asks.
    package func pageSize(_ size: Int) {
        self.state.withLock { $0.pageSize = size }
    }

    /// Every list answers `status` until this is called again with `nil`.
    package func refuse(_ status: Int?) {
        self.state.withLock { $0.refusal = status }
    }

    func answer(_ method: String, target: String, host: String) -> Response? {
        guard method == "GET" else { return nil }
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        let path = parts[0]
        let query = parts.count > 1 ? parts[1] : ""
        let page = query.split(separator: "&").first { $0.hasPrefix("page=") }.flatMap { Int($0.dropFirst(5)) } ?? 1
        let (lists, pageSize, refusal) = self.state.withLock { ($0.lists, $0.pageSize, $0.refusal) }
        for list in lists {
            let json = { (status: Int, object: Any) in
                refusal.map { GitHostStandIn.json($0, ["message": "Forbidden"]) } ?? GitHostStandIn.json(status, object)
            }
            let base = "\(list.root)/"
            guard path.hasPrefix(base) else { continue }
            let rest = String(path.dropFirst(base.count))
            switch list.kind {
            case .github where rest == "pulls/\(list.number)/files", .gitea where rest == "pulls/\(list.number)/files":
                let slice = list.files.dropFirst((page - 1) * pageSize).prefix(pageSize)
                var headers: [String: String] = [:]
                if list.files.count > page * pageSize {
                    headers["Link"] = "<http://\(host)\(path)?page=\(page + 1)>; rel=\"next\""
                }
                if let refusal { return GitHostStandIn.json(refusal, ["message": "Forbidden"]) }
                return GitHostStandIn.json(200, slice.map { ["filename": $0, "status": "modified"] }, headers: headers)
            case .gitlab where rest == "merge_requests/\(list.number)/diffs":
                return json(200, list.files.map { ["old_path": $0, "new_path": $0, "diff": ""] })
            case .bitbucketCloud where rest == "pullrequests/\(list.number)/diffstat":
                if let refusal { return GitHostStandIn.json(refusal, ["message": "Forbidden"]) }
                return GitHostStandIn.json(
                    302,
                    [:],
                    headers: ["Location": "http://\(host)\(list.root)/diffstat/pr\(list.number)head..base?pagelen=500"]
                )
            case .bitbucketCloud where rest.hasPrefix("diffstat/pr\(list.number)head"):
                return json(200, ["values": list.files.map { ["new": ["path": $0], "status": "modified"] }])
            case .bitbucketServer where rest == "pull-requests/\(list.number)/changes":
                return json(200, ["values": list.files.map { ["path": ["toString": $0]] }, "isLastPage": true])
            case .azureDevOps where rest == "pullRequests/\(list.number)/iterations":
                return json(200, ["value": [["id": 1], ["id": 2]], "count": 2])
            case .azureDevOps where rest == "pullRequests/\(list.number)/iterations/2/changes":
                return json(
                    200,
                    ["changeEntries": list.files.map { ["item": ["path": "/" + $0], "changeType": "edit"] }]
                )
            default:
                continue
            }
        }
        return nil
    }
}
