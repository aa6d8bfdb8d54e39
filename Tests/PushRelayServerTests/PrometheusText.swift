import Foundation

/// A strict reader of the Prometheus text exposition format (version 0.0.4), for checking `/metrics`:
/// every line must be a comment or a sample, and samples are keyed by name and sorted labels.
struct PrometheusText {
    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var samples: [String: Double] = [:]
    private(set) var types: [String: String] = [:]

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                guard parts.count >= 3, parts[1] == "TYPE" || parts[1] == "HELP" else {
                    throw FormatError(description: "bad comment line: \(line)")
                }
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                    else { throw FormatError(description: "bad TYPE line: \(line)") }
                    self.types[String(parts[2])] = String(parts[3])
                }
                continue
            }
            let (key, value) = try Self.sample(Substring(line))
            self.samples[key] = value
        }
    }

    /// The value of `name` with exactly these labels.
    subscript(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        self.samples[Self.key(name, labels)]
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        labels.isEmpty
            ? name
            : name + "{"
                + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ",") + "}"
    }

    private static func sample(_ line: Substring) throws -> (String, Double) {
        var rest = line[...]
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard let first = name.first, !first.isNumber else { throw FormatError(description: "bad name: \(line)") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !label.isEmpty, rest.dropFirst(label.count).hasPrefix("=\"") else {
                    throw FormatError(description: "bad label: \(line)")
                }
                rest = rest.dropFirst(label.count + 2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    if character == "\\" {
                        rest = rest.dropFirst()
                        guard let escaped = rest.first else { throw FormatError(description: "bad escape: \(line)") }
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                    rest = rest.dropFirst()
                }
                guard rest.first == "\"" else { throw FormatError(description: "unterminated label: \(line)") }
                rest = rest.dropFirst()
                labels[String(label)] = value
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw FormatError(description: "no value: \(line)") }
        let fields = rest.dropFirst().split(separator: " ")
        guard (1...2).contains(fields.count), let value = Double(fields[0] == "+Inf" ? "inf" : String(fields[0])) else {
            throw FormatError(description: "bad value: \(line)")
        }
        return (Self.key(String(name), labels), value)
    }
}
