/// What PushRelay takes from one pushed ref, whichever host sent it.
package struct PushEvent: Sendable, Equatable {
    package var ref: GitRef
    /// The new commit; `nil` when the ref was deleted.
    package var commit: String?
    package var deleted: Bool
    /// Every file added, modified or removed by the pushed commits; `nil` when the payload cannot list
    /// them all, and then ``changedFilesUnknownReason`` says why.
    package var changedFiles: [String]?
    package var changedFilesUnknownReason: String?
    package var headCommitMessage: String?
    /// The commit the ref pointed at before the push, where the payload says (the last commit of a
    /// deleted branch).
    package var previousCommit: String?

    package init(
        ref: GitRef,
        commit: String?,
        deleted: Bool,
        changedFiles: [String]?,
        changedFilesUnknownReason: String? = nil,
        headCommitMessage: String?,
        previousCommit: String? = nil
    ) {
        self.ref = ref
        self.commit = commit
        self.deleted = deleted
        self.changedFiles = changedFiles
        self.changedFilesUnknownReason = changedFiles == nil ? (changedFilesUnknownReason ?? "no file list") : nil
        self.headCommitMessage = headCommitMessage
        self.previousCommit = PushEvent.isZeroSHA(previousCommit) ? nil : previousCommit
    }

    /// A sha of all zeros is how GitHub and GitLab say "no commit" (a deleted or a created ref).
    package static func isZeroSHA(_ sha: String?) -> Bool {
        guard let sha, !sha.isEmpty else { return true }
        return sha.allSatisfy { $0 == "0" }
    }
}
