/// Request headers with case-insensitive names, as HTTP defines them. Repeated fields keep their first value.
package struct WebhookHeaders: Sendable, Equatable {
    /// Original names and values, in the order received (kept for saved deliveries).
    package private(set) var fields: [(name: String, value: String)]
    private var index: [String: String]

    package init(_ fields: [(name: String, value: String)] = []) {
        self.fields = []
        self.index = [:]
        for field in fields { self.add(name: field.name, value: field.value) }
    }

    package init(_ dictionary: [String: String]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
    }

    package mutating func add(name: String, value: String) {
        self.fields.append((name, value))
        let key = name.lowercased()
        if self.index[key] == nil { self.index[key] = value }
    }

    /// Replaces every field named `name` (any case) with one, where the first of them was, else at the end.
    package mutating func set(_ name: String, to value: String) {
        let key = name.lowercased()
        if let first = self.fields.firstIndex(where: { $0.name.lowercased() == key }) {
            self.fields[first] = (name, value)
            self.fields = self.fields.enumerated().filter { $0.offset == first || $0.element.name.lowercased() != key }
                .map(\.element)
            self.index[key] = value
        } else {
            self.add(name: name, value: value)
        }
    }

    /// Removes every field named `name` (any case).
    package mutating func remove(_ name: String) {
        let key = name.lowercased()
        self.fields.removeAll { $0.name.lowercased() == key }
        self.index[key] = nil
    }

    package subscript(_ name: String) -> String? {
        self.index[name.lowercased()]
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
