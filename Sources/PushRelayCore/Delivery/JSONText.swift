/// Writes JSON by hand where key order is part of what a reader sees (answers, the job document):
/// Foundation's encoder does not keep declaration order.
package enum JSONText {
    /// A JSON string literal, quotes included.
    package static func quote(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 2)
        Self.appendQuoted(text, to: &out)
        return out
    }

    /// Appends `text` as a JSON string literal: one buffer for a whole document, not a string per value
    /// (the stored headers of every delivery are written this way).
    package static func appendQuoted(_ text: String, to out: inout String) {
        // Most text (header values, names, ids) needs no escape: copy it whole, not scalar by scalar.
        // 0xC2 begins every C1 character in UTF-8 (and a few printable ones, which are then copied as they are).
        if !text.utf8.contains(where: {
            $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F || $0 == 0xC2
        }) {
            out += "\""
            out += text
            out += "\""
            return
        }
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // DEL and C1 are valid JSON as they are, but not on the terminal this may be printed on.
            case let c where c.value < 0x20 || c.value == 0x7F || (0x80...0x9F).contains(c.value):
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// `{"k":v,…}` from already-encoded values, in the order given.
    package static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { self.quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// `["a","b",…]` from strings, in the order given.
    package static func array(_ strings: [String]) -> String {
        var out = "["
        out.reserveCapacity(strings.reduce(2) { $0 + $1.utf8.count + 3 })
        for (index, string) in strings.enumerated() {
            if index > 0 { out += "," }
            Self.appendQuoted(string, to: &out)
        }
        return out + "]"
    }
}
