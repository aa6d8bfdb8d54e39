/// A ref of a configured repository moved, as a push webhook or a poll tells it: what PushRelay remembers
/// of each ref (SPEC section 12) so that each commit is queued once and never after a newer one.
package struct HeadMove: Sendable, Equatable, Hashable {
    /// The repository's normalised identity.
    package var repository: String
    /// The full ref name (`refs/heads/main`).
    package var ref: String
    /// The commit the push says the ref had before; `nil` for a created ref.
    package var before: String?
    /// The ref's new commit; ``deleted`` for a deleted ref.
    package var after: String

    /// What is remembered of a deleted ref: it is gone, and its deletion was seen.
    package static let deleted = ""

    package init(repository: String, ref: String, before: String?, after: String) {
        self.repository = repository
        self.ref = ref
        self.before = before
        self.after = after
    }

    package var key: HeadKey { HeadKey(repository: self.repository, ref: self.ref) }

    /// What this move is, beside the head remembered for its ref (`nil`: none is).
    package func verdict(remembered: String?) -> HeadVerdict {
        guard let remembered else { return .new }
        if remembered == self.after { return .seen }
        // A plain push, a force-push reset (its `before` is what was there), or a ref created again
        // after its deletion was seen.
        if self.before == remembered || (remembered == Self.deleted && self.before == nil) { return .new }
        return .unordered(remembered: remembered)
    }
}

/// A ref of a repository: the key of a remembered head.
package struct HeadKey: Sendable, Equatable, Hashable, Comparable {
    package var repository: String
    package var ref: String

    package init(repository: String, ref: String) {
        self.repository = repository
        self.ref = ref
    }

    package static func < (lhs: HeadKey, rhs: HeadKey) -> Bool {
        (lhs.repository, lhs.ref) < (rhs.repository, rhs.ref)
    }
}

package enum HeadVerdict: Sendable, Equatable {
    /// Nothing was remembered, or the move starts where the remembered head is: queued, and remembered.
    case new
    /// The remembered head is this move's commit already (a webhook after its push was recovered, a late
    /// retry): nothing is queued.
    case seen
    /// The move starts elsewhere (deliveries out of order): queued without moving the remembered head.
    case unordered(remembered: String)
}
