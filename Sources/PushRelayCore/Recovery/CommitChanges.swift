import Foundation

/// The files changed between two commits, from the host's compare API (SPEC section 12): what a recovered
/// push's routes with `paths` are matched against, since a ref advertisement lists no files.
package enum CommitChanges {
    /// The request for the files `head` changed since `base`; `nil` for a kind without one (Gogs).
    package static func request(
        kind: GitHostKind,
        repository: String,
        base: String,
        head: String,
        apiURL: String,
        token: APIToken?
    ) -> StatusRequest? {
        guard let (api, root) = CommitOrder.repositoryAPI(kind: kind, repository: repository, apiURL: apiURL) else {
            return nil
        }
        let (base, head) = (base.pathSegmentEncoded, head.pathSegmentEncoded)
        let url: String? =
            switch kind {
            case .github, .gitea: "\(root)/compare/\(base)...\(head)"
            case .gitlab: "\(root)/repository/compare?from=\(base)&to=\(head)"
            case .bitbucketCloud: "\(root)/diffstat/\(head)..\(base)?pagelen=500"
            case .bitbucketServer: "\(root)/compare/changes?from=\(head)&to=\(base)&limit=1000"
            case .azureDevOps:
                "\(root)/diffs/commits?baseVersion=\(base)&baseVersionType=commit&targetVersion=\(head)"
                    + "&targetVersionType=commit&$top=2000&api-version=7.1"
            case .gogs: nil
            }
        return url.map { StatusRequest(get: $0, headers: token.map(api.headers) ?? []) }
    }

    /// The changed paths the answer lists; the reason when it cannot say them all.
    package static func read(kind: GitHostKind, status: Int, body: [UInt8]) -> Result<[String], Unknown> {
        guard (200...299).contains(status) else {
            return .failure(Unknown("the host's compare answered HTTP \(status)"))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(Unknown("the host's compare answer is not JSON"))
        }
        let list = { (key: String) in (object[key] as? [[String: Any]]) ?? [] }
        var paths: [String] = []
        switch kind {
        case .github:
            let files = list("files")
            // GitHub lists at most 300 files in a compare.
            guard object["files"] != nil, files.count < 300 else {
                return .failure(Unknown("the compare lists no files, or is over GitHub's cap of 300"))
            }
            for file in files {
                paths += [file["filename"], file["previous_filename"]].compactMap { $0 as? String }
            }
        case .gitea:
            guard object["commits"] != nil else { return .failure(Unknown("the compare lists no commits")) }
            for commit in list("commits") {
                guard let files = commit["files"] as? [[String: Any]] else {
                    return .failure(Unknown("this Gitea's compare lists no files"))
                }
                paths += files.compactMap { $0["filename"] as? String }
            }
        case .gitlab:
            guard object["diffs"] != nil, object["compare_timeout"] as? Bool != true else {
                return .failure(Unknown("the compare lists no diffs, or timed out"))
            }
            for diff in list("diffs") { paths += [diff["new_path"], diff["old_path"]].compactMap { $0 as? String } }
        case .bitbucketCloud:
            guard object["next"] == nil else { return .failure(Unknown("over one page of Bitbucket's diffstat")) }
            for entry in list("values") {
                for side in ["new", "old"] {
                    if let path = (entry[side] as? [String: Any])?["path"] as? String { paths.append(path) }
                }
            }
        case .bitbucketServer:
            guard object["isLastPage"] as? Bool != false else {
                return .failure(Unknown("over one page of Bitbucket's compare"))
            }
            for change in list("values") {
                for side in ["path", "srcPath"] {
                    if let path = (change[side] as? [String: Any])?["toString"] as? String { paths.append(path) }
                }
            }
        case .azureDevOps:
            for change in list("changes") {
                guard let item = change["item"] as? [String: Any], item["isFolder"] as? Bool != true,
                    let path = item["path"] as? String
                else { continue }
                paths.append(String(path.drop { $0 == "/" }))
            }
        case .gogs:
            return .failure(Unknown("Gogs has no compare API"))
        }
        var seen = Set<String>()
        return .success(paths.filter { seen.insert($0).inserted })
    }

    /// Why the files are not known.
    package struct Unknown: Error, Equatable {
        package var reason: String

        package init(_ reason: String) {
            self.reason = reason
        }
    }
}
