import Foundation

/// A pull request's changed files, from the host's API (SPEC section 13): each kind's request and its
/// pages read. Gogs has no such API.
package enum PullRequestFiles {
    /// GitHub lists at most 3,000 files of a pull request; a list that long may be cut.
    package static let githubCap = 3000
    /// Pages read at most, whatever the host's paging says.
    package static let maxPages = 40

    /// One page read: its paths, and where the next page is; or (Azure DevOps) the iteration whose changes
    /// are the pull request's.
    package enum Page: Sendable, Equatable {
        case files([String], next: String?)
        case iteration(Int)
    }

    /// The first request; `nil` for a kind without the API (Gogs) or without an API root.
    package static func request(
        kind: GitHostKind,
        repository: String,
        number: Int,
        apiURL: String,
        token: APIToken?
    ) -> StatusRequest? {
        guard let (api, root) = CommitOrder.repositoryAPI(kind: kind, repository: repository, apiURL: apiURL) else {
            return nil
        }
        let url: String? =
            switch kind {
            case .github: "\(root)/pulls/\(number)/files?per_page=100"
            case .gitea: "\(root)/pulls/\(number)/files?limit=50"
            case .gitlab: "\(root)/merge_requests/\(number)/diffs?per_page=100"
            // Answered with a redirect to the commit range's diffstat, followed on the same host.
            case .bitbucketCloud: "\(root)/pullrequests/\(number)/diffstat?pagelen=500"
            case .bitbucketServer: "\(root)/pull-requests/\(number)/changes?limit=1000"
            case .azureDevOps: "\(root)/pullRequests/\(number)/iterations?api-version=7.1"
            case .gogs: nil
            }
        return url.map { StatusRequest(get: $0, headers: token.map(api.headers) ?? []) }
    }

    /// Azure DevOps: the changes of the pull request's last iteration, against the common commit.
    package static func azureChangesRequest(
        repository: String,
        number: Int,
        iteration: Int,
        apiURL: String,
        token: APIToken?
    ) -> StatusRequest? {
        guard let (api, root) = CommitOrder.repositoryAPI(kind: .azureDevOps, repository: repository, apiURL: apiURL)
        else { return nil }
        return StatusRequest(
            get: "\(root)/pullRequests/\(number)/iterations/\(iteration)/changes?$top=2000&api-version=7.1",
            headers: token.map(api.headers) ?? []
        )
    }

    /// One page of `kind`'s answer, with the `Link` header where the kind pages by it.
    package static func read(
        kind: GitHostKind,
        status: Int,
        body: [UInt8],
        link: String?
    ) -> Result<Page, CommitChanges.Unknown> {
        guard (200...299).contains(status) else {
            return .failure(CommitChanges.Unknown("the host's changed files answered HTTP \(status)"))
        }
        let json = try? JSONSerialization.jsonObject(with: Data(body))
        let unknown = Result<Page, CommitChanges.Unknown>.failure(
            CommitChanges.Unknown("the host's changed files answer is not understood")
        )
        let paths = { (list: [[String: Any]], keys: [String]) in
            list.flatMap { item in keys.compactMap { item[$0] as? String } }
        }
        switch kind {
        case .github, .gitea:
            guard let list = json as? [[String: Any]] else { return unknown }
            return .success(
                .files(paths(list, ["filename", "previous_filename"]), next: Redelivery.nextPage(link: link))
            )
        case .gitlab:
            guard let list = json as? [[String: Any]] else { return unknown }
            return .success(.files(paths(list, ["new_path", "old_path"]), next: Redelivery.nextPage(link: link)))
        case .bitbucketCloud:
            guard let object = json as? [String: Any], let values = object["values"] as? [[String: Any]] else {
                return unknown
            }
            let sides = values.flatMap { entry in
                ["new", "old"].compactMap { (entry[$0] as? [String: Any])?["path"] as? String }
            }
            return .success(.files(sides, next: object["next"] as? String))
        case .bitbucketServer:
            guard let object = json as? [String: Any], let values = object["values"] as? [[String: Any]] else {
                return unknown
            }
            let sides = values.flatMap { change in
                ["path", "srcPath"].compactMap { (change[$0] as? [String: Any])?["toString"] as? String }
            }
            // Data Center pages by start; one page of 1,000 is read, and a longer list is unknown.
            guard object["isLastPage"] as? Bool != false else {
                return .failure(CommitChanges.Unknown("over 1,000 changed files (one page of Bitbucket's changes)"))
            }
            return .success(.files(sides, next: nil))
        case .azureDevOps:
            guard let object = json as? [String: Any] else { return unknown }
            if let iterations = object["value"] as? [[String: Any]] {
                guard let last = iterations.compactMap({ $0["id"] as? Int }).max() else {
                    return .failure(CommitChanges.Unknown("the pull request has no iteration"))
                }
                return .success(.iteration(last))
            }
            guard let entries = object["changeEntries"] as? [[String: Any]] else { return unknown }
            guard object["nextSkip"] == nil || (object["nextSkip"] as? Int) == 0 else {
                return .failure(CommitChanges.Unknown("over 2,000 changed files (one page of Azure DevOps' changes)"))
            }
            var found: [String] = []
            for entry in entries {
                let item = entry["item"] as? [String: Any]
                guard item?["isFolder"] as? Bool != true else { continue }
                for path in [item?["path"] as? String, entry["originalPath"] as? String].compactMap({ $0 }) {
                    found.append(String(path.drop { $0 == "/" }))
                }
            }
            return .success(.files(found, next: nil))
        case .gogs:
            return .failure(CommitChanges.Unknown("Gogs has no API for a pull request's files"))
        }
    }
}
