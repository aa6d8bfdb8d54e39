/// Text a sender wrote (a ref, a repository URL, a header, a reason quoting them), made safe to print on
/// a terminal or a line of the text log: every control character, C0 (tab and newline included), DEL
/// and C1, becomes a visible escape, so that nothing received can end a line, forge the next one, or
/// send the operator's terminal an escape sequence (retitling or clearing it).
package enum TerminalText {
    package static func escaped(_ text: String) -> String {
        // 0xC2 begins every C1 character in UTF-8 (U+0080 to U+009F), and a few printable ones.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F, 0x80...0x9F: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
