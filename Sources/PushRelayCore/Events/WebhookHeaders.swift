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

    package subscript(_ name: String) -> String? {
        self.index[name.lowercased()]
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
