import Yams

/// Reads one YAML mapping while remembering the line of every key, so each problem can name its line.
/// Problems are collected, not thrown, so one run of `check` reports all of them.
struct YAMLFields {
    let file: String
    let line: Int
    private let values: [String: Node]
    private let keyLines: [String: Int]
    private let keyOrder: [String]

    init?(_ node: Node, file: String, what: String, problems: inout [ConfigProblem]) {
        let line = node.mark?.line ?? 1
        guard let mapping = node.mapping else {
            problems.append(.init(file: file, line: line, message: "\(what) must be a mapping of keys to values"))
            return nil
        }
        var values: [String: Node] = [:]
        var keyLines: [String: Int] = [:]
        var keyOrder: [String] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            values[name] = value
            keyLines[name] = key.mark?.line ?? line
            keyOrder.append(name)
        }
        self.file = file
        self.line = line
        self.values = values
        self.keyLines = keyLines
        self.keyOrder = keyOrder
    }

    func line(of key: String) -> Int { self.keyLines[key] ?? self.line }

    /// The keys, in the order the file gives them.
    var keys: [String] { self.keyOrder }

    func has(_ key: String) -> Bool { self.values[key] != nil }

    func node(_ key: String) -> Node? { self.values[key] }

    func problem(_ key: String, _ message: String, severity: ConfigProblem.Severity = .error) -> ConfigProblem {
        ConfigProblem(file: self.file, line: self.line(of: key), message: message, severity: severity)
    }

    /// Every key not in `allowed` is an error: a typo such as `branch:` must not silently do nothing.
    func reportUnknownKeys(allowed: Set<String>, problems: inout [ConfigProblem]) {
        for key in self.keyOrder where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            problems.append(self.problem(key, "unknown key '\(key)' (expected one of: \(known))"))
        }
    }

    func string(_ key: String, problems: inout [ConfigProblem]) -> String? {
        guard let node = self.values[key] else { return nil }
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            problems.append(self.problem(key, "'\(key)' must be a non-empty string"))
            return nil
        }
        return scalar.string
    }

    func bool(_ key: String, problems: inout [ConfigProblem]) -> Bool? {
        guard let node = self.values[key] else { return nil }
        guard let value = node.bool else {
            problems.append(self.problem(key, "'\(key)' must be true or false"))
            return nil
        }
        return value
    }

    func int(_ key: String, range: ClosedRange<Int>, problems: inout [ConfigProblem]) -> Int? {
        guard let node = self.values[key] else { return nil }
        guard let value = node.int, range.contains(value) else {
            problems.append(
                self.problem(key, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            )
            return nil
        }
        return value
    }

    func double(_ key: String, range: ClosedRange<Double>, problems: inout [ConfigProblem]) -> Double? {
        guard let node = self.values[key] else { return nil }
        guard let value = node.float, range.contains(value) else {
            problems.append(
                self.problem(key, "'\(key)' must be a number from \(range.lowerBound) to \(range.upperBound)")
            )
            return nil
        }
        return value
    }

    /// A string or a list of strings (`secret_env: A` and `secret_env: [A, B]` both work), each with its line.
    func strings(_ key: String, problems: inout [ConfigProblem]) -> [(value: String, line: Int)]? {
        guard let node = self.values[key] else { return nil }
        if let scalar = node.scalar {
            return [(scalar.string, node.mark?.line ?? self.line(of: key))]
        }
        guard let sequence = node.sequence else {
            problems.append(self.problem(key, "'\(key)' must be a string or a list of strings"))
            return nil
        }
        var items: [(String, Int)] = []
        for item in sequence {
            guard let scalar = item.scalar else {
                problems.append(self.problem(key, "'\(key)' must list strings only"))
                return nil
            }
            items.append((scalar.string, item.mark?.line ?? self.line(of: key)))
        }
        return items
    }

    func mapping(_ key: String, problems: inout [ConfigProblem]) -> YAMLFields? {
        guard let node = self.values[key] else { return nil }
        return YAMLFields(node, file: self.file, what: "'\(key)'", problems: &problems)
    }
}
