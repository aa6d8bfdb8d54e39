import Foundation

/// What PushRelay keeps of a pull request's plan comment (SPEC section 13): the head it describes, when
/// that head was planned, a section per workspace, and the comment's reference on the host once posted.
/// Kept in the store, so that whichever replica sees a plan end edits the one comment.
package struct StoredPlanComment: Sendable, Equatable, Codable {
    package var head: String
    /// When the head's first plan was created: a head planned later is newer (pull request heads have no
    /// order of their own).
    package var planned: Date
    package var sections: [PlanSection]
    /// ``PullRequestComment/reference(kind:answer:previous:)``; `nil` until posted, or once the host no
    /// longer has it.
    package var reference: String?

    package init(head: String, planned: Date, sections: [PlanSection] = [], reference: String? = nil) {
        self.head = head
        self.planned = planned
        self.sections = sections
        self.reference = reference
    }

    /// The comment with `section` of `head` in it: the workspace's section replaced for the same head; for
    /// a head planned later, a comment of that head alone (an older head's output is replaced, never mixed
    /// in); `nil` for an older head, which changes nothing.
    package static func putting(
        _ section: PlanSection,
        head: String,
        planned: Date,
        into stored: StoredPlanComment?
    ) -> StoredPlanComment? {
        guard var comment = stored else {
            return StoredPlanComment(head: head, planned: planned, sections: [section])
        }
        if comment.head != head {
            guard planned > comment.planned else { return nil }
            comment = StoredPlanComment(head: head, planned: planned, reference: comment.reference)
        }
        guard comment.sections.first(where: { $0.workspace == section.workspace }) != section else { return nil }
        comment.sections.removeAll { $0.workspace == section.workspace }
        comment.sections.append(section)
        return comment
    }
}

/// A pull request: its repository's normalised identity and its number.
package struct PullRequestID: Sendable, Hashable, Codable {
    package var repository: String
    package var number: Int

    package init(repository: String, number: Int) {
        self.repository = repository
        self.number = number
    }
}

extension DocumentKey.Scope {
    /// A pull request's ``StoredPlanComment``, named `{repository}#{number}`.
    package static let planComment = Self(rawValue: "plan-comment")
}

extension DocumentStore {
    /// The pull request's comment and its version; `nil` when there is none.
    package func planComment(_ pull: PullRequestID) async throws -> (comment: StoredPlanComment, version: Int)? {
        try await self.read(StoredPlanComment.self, at: pull.commentKey).map { ($0.document, $0.version) }
    }

    /// Writes `comment` if the stored one is still at `version` (`nil`: none is stored).
    package func writePlanComment(
        _ pull: PullRequestID,
        _ comment: StoredPlanComment,
        replacing version: Int?
    ) async throws -> Bool {
        try await self.write(comment, at: pull.commentKey, replacing: version)
    }

    /// Puts `section` of `head` into the pull request's comment, by ``StoredPlanComment/putting(_:head:planned:into:)``.
    /// - Returns: the comment written; `nil` when it changed nothing (an older head, the same section).
    package func putPlanSection(
        _ section: PlanSection,
        head: String,
        planned: Date,
        of pull: PullRequestID
    ) async throws -> StoredPlanComment? {
        try await self.update(StoredPlanComment.self, at: pull.commentKey) {
            StoredPlanComment.putting(section, head: head, planned: planned, into: $0)
        }
    }
}

extension DocumentStore {
    /// Sets the comment's reference on the host (`nil`: the host no longer has it), keeping the sections
    /// written meanwhile; nothing when no comment is stored.
    package func setPlanCommentReference(_ reference: String?, of pull: PullRequestID) async throws {
        _ = try await self.update(StoredPlanComment.self, at: pull.commentKey) { stored in
            guard var comment = stored, comment.reference != reference else { return nil }
            comment.reference = reference
            return comment
        }
    }
}

extension PullRequestID {
    var commentKey: DocumentKey { DocumentKey(.planComment, "\(self.repository)#\(self.number)") }
}
