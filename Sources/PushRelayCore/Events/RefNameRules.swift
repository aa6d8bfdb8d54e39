/// Git's rules for a ref name (`git check-ref-format`), applied to every pushed ref before it is routed:
/// a name Git itself would refuse (`release/../main`, a newline) is not a branch, and must never reach
/// Terrakube as `overrideBranch` or a terminal as text.
package enum RefNameRules {
    /// Why `name` is not a valid ref name, without repeating it; `nil` when it is valid.
    package static func problem(in name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "it is empty" }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) { return "it contains a control character" }
        for (byte, what) in Self.forbidden where bytes.contains(byte) { return "it contains \(what)" }
        if name.contains("..") { return "it contains '..'" }
        if name.contains("@{") { return "it contains '@{'" }
        if name == "@" { return "it is '@'" }
        if name.hasPrefix("/") || name.hasSuffix("/") || name.contains("//") {
            return "it begins or ends with '/', or has an empty component"
        }
        if name.hasSuffix(".") { return "it ends with '.'" }
        for component in name.split(separator: "/") {
            if component.hasPrefix(".") { return "a component begins with '.'" }
            if component.hasSuffix(".lock") { return "a component ends with '.lock'" }
        }
        return nil
    }

    private static let forbidden: [(UInt8, String)] = [
        (UInt8(ascii: " "), "a space"), (UInt8(ascii: "~"), "'~'"), (UInt8(ascii: "^"), "'^'"),
        (UInt8(ascii: ":"), "':'"), (UInt8(ascii: "?"), "'?'"), (UInt8(ascii: "*"), "'*'"),
        (UInt8(ascii: "["), "'['"), (UInt8(ascii: "\\"), "'\\'"),
    ]
}
