/// Headers as the saved-delivery file holds them (SPEC section 8): an object of names, each with its value,
/// or with the array of its values, in order, when the field came more than once.
extension WebhookHeaders: Codable {
    private struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(stringValue: String) {
            self.stringValue = stringValue
        }

        init?(intValue: Int) { nil }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        var fields: [(name: String, value: String)] = []
        // An object's members have no order: names sorted, each field's values in the order given.
        for name in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            if let value = try? container.decode(String.self, forKey: name) {
                fields.append((name.stringValue, value))
            } else {
                let values = try container.decode([String].self, forKey: name)
                fields += values.map { (name: name.stringValue, value: $0) }
            }
        }
        self.init(fields)
    }

    package func encode(to encoder: any Encoder) throws {
        var values: [String: [String]] = [:]
        for field in self.fields { values[field.name, default: []].append(field.value) }
        var container = encoder.container(keyedBy: Name.self)
        for (name, list) in values {
            if list.count == 1 {
                try container.encode(list[0], forKey: Name(stringValue: name))
            } else {
                try container.encode(list, forKey: Name(stringValue: name))
            }
        }
    }
}
