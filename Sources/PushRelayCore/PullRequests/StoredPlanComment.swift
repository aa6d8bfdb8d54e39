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
