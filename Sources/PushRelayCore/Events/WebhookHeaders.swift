/// Request headers with case-insensitive names, as HTTP defines them. Repeated fields keep their first value.
///
/// Looked up by a scan of the fields, not through a dictionary of lower-cased names: a delivery has a dozen
/// headers and a handful of look-ups, and building the dictionary (a `String` per name) cost more.
package struct WebhookHeaders: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// Original names and values, in the order received (kept for saved deliveries).
    package private(set) var fields: [(name: String, value: String)]

    package init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    package init(_ dictionary: [String: String]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
    }

    /// The fields in the order written, a name written twice kept twice.
    package init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (name: $0.0, value: $0.1) })
    }

    package mutating func add(name: String, value: String) {
        self.fields.append((name, value))
    }

    /// Replaces every field named `name` (any case) with one, where the first of them was, else at the end.
    package mutating func set(_ name: String, to value: String) {
        if let first = self.fields.firstIndex(where: { Self.sameName($0.name, name) }) {
            self.fields[first] = (name, value)
            self.fields = self.fields.enumerated().filter {
                $0.offset == first || !Self.sameName($0.element.name, name)
            }
            .map(\.element)
        } else {
            self.add(name: name, value: value)
        }
    }

    /// Removes every field named `name` (any case).
    package mutating func remove(_ name: String) {
        self.fields.removeAll { Self.sameName($0.name, name) }
    }

    package subscript(_ name: String) -> String? {
        self.fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Header names compare without regard to ASCII case (RFC 9110: names are ASCII tokens).
    package static func sameName(_ left: String, _ right: String) -> Bool {
        guard left.utf8.count == right.utf8.count else { return false }
        return zip(left.utf8, right.utf8).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
