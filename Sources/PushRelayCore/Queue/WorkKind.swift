/// The name of a kind of work. The queue stores it beside each item's payload and never looks further:
/// the dispatcher hands an item to the handler registered under its kind, which alone reads the payload
/// (its ``WorkType`` says what the payload is).
package struct WorkKind: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    package var rawValue: String

    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    package init(stringLiteral value: String) {
        self.rawValue = value
    }

    package var description: String { self.rawValue }
}

/// Work to queue: a kind and its payload, due `after` this long from the store's clock.
package struct NewWork: Sendable, Equatable {
    package var kind: WorkKind
    /// The kind's own encoding (JSON for every kind here); stored and handed back as it is.
    package var payload: [UInt8]
    package var after: Duration
    /// Makes the item the one of its kind with this key (a commit status: host, commit and name). Queuing
    /// it again replaces what it will do rather than adding another; see ``WorkQueue``.
    package var key: String?
    /// A keyed item queued only if none of its kind has the key yet: queuing it again does nothing (a pull
    /// request's plan for one head commit, however many deliveries carry it).
    package var once: Bool
    /// Queuing it supersedes the items of its kind and group queued before it that have not finished: one
    /// pending is dropped (state `superseded`); one running is dropped when its attempt ends, unless the
    /// attempt succeeded.
    package var group: String?
    /// The result it records is its alone among its kind's items (``WorkType/uniqueResults``).
    package var uniqueResult: Bool

    package init(
        kind: WorkKind,
        payload: [UInt8],
        after: Duration = .zero,
        key: String? = nil,
        once: Bool = false,
        group: String? = nil,
        uniqueResult: Bool = false
    ) {
        self.kind = kind
        self.payload = payload
        self.after = after
        self.key = key
        self.once = once
        self.group = group
        self.uniqueResult = uniqueResult
    }

    /// The items in order, with only the last of each kind and key: one statement can then write them
    /// all (a store may not update one keyed row twice in a statement).
    package static func coalesced<T>(_ items: [T], work: (T) -> NewWork) -> [T] {
        var last: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let new = work(item)
            if let key = new.key { last[new.kind.rawValue + "\u{0}" + key] = index }
        }
        return items.enumerated().filter { index, item in
            let new = work(item)
            guard let key = new.key else { return true }
            return last[new.kind.rawValue + "\u{0}" + key] == index
        }.map(\.element)
    }
}
