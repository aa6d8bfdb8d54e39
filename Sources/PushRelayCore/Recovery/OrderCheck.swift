import Foundation

/// A push that came out of order (its `before` is not the remembered head): its work waits in this item
/// until the host's compare API says the commit is newer than the head (SPEC section 12's "never
/// backwards"). Older: nothing is queued. Newer, or the host cannot say: the head moves to it and the work
/// is queued, as children of this item.
package struct OrderCheck: Sendable, Equatable, Codable {
    /// The repository's normalised identity.
    package var repository: String
    package var ref: String
    /// The push's commit.
    package var commit: String
    /// The head remembered when the push was settled.
    package var remembered: String
    /// What the push queues once it is found newer.
    package var held: [HeldWork]

    package init(repository: String, ref: String, commit: String, remembered: String, held: [HeldWork]) {
        self.repository = repository
        self.ref = ref
        self.commit = commit
        self.remembered = remembered
        self.held = held
    }

    /// One kind for every host: a webhook can need a check with recovery off, and these are rare.
    package static let type = WorkType<OrderCheck>("heads.order-check")

    package var work: NewWork { Self.type.work(self) }
}

/// An item of work kept inside another's payload, to be queued as it was.
package struct HeldWork: Sendable, Equatable, Codable {
    package var kind: String
    package var payload: Data
    package var afterSeconds: Double
    package var key: String?
    package var once: Bool
    package var group: String?
    package var uniqueResult: Bool

    package init(_ work: NewWork) {
        self.kind = work.kind.rawValue
        self.payload = Data(work.payload)
        self.afterSeconds = work.after.seconds
        self.key = work.key
        self.once = work.once
        self.group = work.group
        self.uniqueResult = work.uniqueResult
    }

    package var work: NewWork {
        NewWork(
            kind: WorkKind(rawValue: self.kind),
            payload: Array(self.payload),
            after: .milliseconds(Int64(self.afterSeconds * 1000)),
            key: self.key,
            once: self.once,
            group: self.group,
            uniqueResult: self.uniqueResult
        )
    }
}
