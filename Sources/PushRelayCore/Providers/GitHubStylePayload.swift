/// The push payload GitHub defined and Gitea, Forgejo and Gogs copied: `ref`, `after`, `repository`
/// with its URLs, `commits` with their files, `head_commit`; and the short-ref `delete` event.
///
/// Read with ``JSONReader`` (``init(json:)``) on the accept path; `Decodable` is the reference reading the
/// tests and the fuzz target compare it with.
package struct GitHubStylePayload: Decodable, Equatable {
    package struct Repository: Decodable, Equatable {
        var clone_url: String?
        var ssh_url: String?
        var git_url: String?
        var html_url: String?
    }

    package struct Commit: Decodable, Equatable {
        var id: String?
        var message: String?
        var added: [String]?
        var removed: [String]?
        var modified: [String]?
    }

    var ref: String?
    /// `branch` or `tag`, in `create` and `delete` events, whose `ref` is a short name.
    var ref_type: String?
    var before: String?
    var after: String?
    var created: Bool?
    var deleted: Bool?
    var repository: Repository?
    var commits: [Commit]?
    var head_commit: Commit?

    var repositoryURLs: [String] {
        guard let repository = self.repository else { return [] }
        return [repository.clone_url, repository.ssh_url, repository.html_url, repository.git_url].compactMap { $0 }
    }

    func push(commitCap: Int?) throws(PayloadError) -> PushEvent {
        guard let ref = self.ref else { throw PayloadError("push payload has no 'ref'") }
        guard self.repository != nil else { throw PayloadError("push payload has no 'repository'") }
        let deleted = self.deleted ?? PushEvent.isZeroSHA(self.after)
        let created = self.created ?? false
        let commits = self.commits ?? []
        var files: [String]? = nil
        var unknownReason: String? = nil
        if let commitCap, commits.count >= commitCap {
            unknownReason = "the payload lists at most \(commitCap) commits"
        } else if created && commits.isEmpty {
            unknownReason = "new ref without listed commits"
        } else if self.commits == nil {
            unknownReason = "no commit list"
        } else {
            files = ChangedFiles.union(commits.map { ($0.added, $0.modified, $0.removed) })
        }
        return PushEvent(
            ref: GitRef(ref),
            commit: deleted ? nil : (self.after ?? self.head_commit?.id),
            deleted: deleted,
            changedFiles: files,
            changedFilesUnknownReason: unknownReason,
            headCommitMessage: self.head_commit?.message ?? commits.last?.message,
            previousCommit: self.before
        )
    }

    /// A `delete` event: a branch or tag, by short name, is gone.
    func deletion() throws(PayloadError) -> PushEvent {
        guard let name = self.ref, !name.isEmpty else { throw PayloadError("delete payload has no 'ref'") }
        guard self.repository != nil else { throw PayloadError("delete payload has no 'repository'") }
        let ref: String
        switch self.ref_type {
        case "tag": ref = name.hasPrefix("refs/") ? name : "refs/tags/" + name
        case "branch", nil: ref = name.hasPrefix("refs/") ? name : "refs/heads/" + name
        case .some: throw PayloadError("delete payload has an unknown ref_type")
        }
        return PushEvent(ref: GitRef(ref), commit: nil, deleted: true, changedFiles: [], headCommitMessage: nil)
    }
}
