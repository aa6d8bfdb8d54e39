/// The name of a kind of work. The queue stores it beside each item's payload and never looks further:
/// the dispatcher hands an item to the handler registered under its kind, which alone reads the payload.
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

    package init(kind: WorkKind, payload: [UInt8], after: Duration = .zero) {
        self.kind = kind
        self.payload = payload
        self.after = after
    }
}
