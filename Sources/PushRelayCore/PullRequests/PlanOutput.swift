import Foundation

/// A plan's console output as a pull request comment shows it (SPEC section 13): the summary line, found
/// as Terrakube finds it, and the text made safe to post.
package enum PlanOutput {
    /// The line that sums a run up: Terraform's and OpenTofu's `Plan: …`, `No changes. …`, `Apply
    /// complete! …`, or the first `Error: …`; `nil` when the output has none. Sought from the last line
    /// back, so that a template's later steps (a cost estimate, a policy check) do not hide it.
    package static func summary(of text: String) -> String? {
        var error: String?
        for line in text.split(whereSeparator: \.isNewline).reversed() {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Plan: "), line.contains(" to add, "), line.hasSuffix(" to destroy.") { return line }
            if line.hasPrefix("No changes.") || line.hasPrefix("Apply complete!") { return line }
            if line.hasPrefix("Error: ") || line.hasPrefix("│ Error: ") {
                error = String(line.drop { $0 == "│" || $0 == " " })
            }
        }
        return error
    }

    /// The first step, from the last back, whose output has a summary line: custom templates add steps
    /// after the plan.
    package static func summary(ofSteps outputs: [String]) -> (step: Int, line: String)? {
        for (index, output) in outputs.enumerated().reversed() {
            if let line = Self.summary(of: output) { return (index, line) }
        }
        return nil
    }

    /// `text` without ANSI escape sequences (Terraform colours its output) and without any other control
    /// character but newlines and tabs: nothing in a posted comment can reach a reader's terminal or forge
    /// markup the host would act on.
    package static func plain(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                // CSI (`ESC [` … final byte 0x40-0x7E) and OSC (`ESC ]` … BEL or `ESC \`); any other escape
                // drops its one following character.
                guard let next = scalars.next() else { break }
                if next == "[" {
                    while let byte = scalars.next(), !(0x40...0x7E).contains(byte.value) {}
                } else if next == "]" {
                    var previous: Unicode.Scalar?
                    while let byte = scalars.next() {
                        if byte.value == 0x07 || (previous?.value == 0x1B && byte == "\\") { break }
                        previous = byte
                    }
                }
            case 0x0A, 0x09: out.append(scalar)
            case 0x0D: break
            case 0x00..<0x20, 0x7F, 0x80...0x9F: break
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// At most `limit` characters of `text`, cut at a line's end where one is near, and whether it was cut.
    package static func cut(_ text: String, limit: Int) -> (text: String, cut: Bool) {
        guard text.count > limit else { return (text, false) }
        let head = text.prefix(max(0, limit))
        if let newline = head.lastIndex(of: "\n"), head.distance(from: head.startIndex, to: newline) > limit / 2 {
            return (String(head[..<newline]), true)
        }
        return (String(head), true)
    }
}
