/// Git's rules for a ref name (`git check-ref-format`), applied to every pushed ref before it is routed:
/// a name Git itself would refuse (`release/../main`, a newline) is not a branch, and must never reach
/// Terrakube as `overrideBranch` or a terminal as text.
package enum RefNameRules {
    /// Why `name` is not a valid ref name, without repeating it; `nil` when it is valid.
    ///
    /// One pass over the bytes (it runs for every delivery), then the rules in the order they are reported:
    /// empty, control character, a forbidden character (in the order of `forbidden`), `..`, `@{`, `@`,
    /// `/` at either end or doubled, `.` at the end, then the first component that begins with `.` or
    /// ends with `.lock`.
    package static func problem(in name: String) -> String? {
        var control = false
        var forbiddenSeen: UInt16 = 0
        var dotDot = false
        var atBrace = false
        var doubleSlash = false
        var component: String?
        var previous: UInt8 = 0
        var componentStart = 0
        var count = 0
        var tail: UInt64 = 0  // the last eight bytes, for `.lock`
        func endComponent(at end: Int) {
            guard component == nil, end > componentStart else { return }
            if end - componentStart >= 5, tail & 0xFF_FFFF_FFFF == Self.dotLock {
                component = "a component ends with '.lock'"
            }
        }
        for byte in name.utf8 {
            if byte < 0x20 || byte == 0x7F { control = true }
            let position = Self.forbiddenPositions[Int(byte)]
            if position >= 0 { forbiddenSeen |= 1 << position }
            switch byte {
            case UInt8(ascii: "."):
                if previous == UInt8(ascii: ".") { dotDot = true }
                if count == componentStart, component == nil { component = "a component begins with '.'" }
            case UInt8(ascii: "{"):
                if previous == UInt8(ascii: "@") { atBrace = true }
            case UInt8(ascii: "/"):
                if previous == UInt8(ascii: "/") { doubleSlash = true }
                endComponent(at: count)
                componentStart = count + 1
            default: break
            }
            tail = tail << 8 | UInt64(byte)
            previous = byte
            count += 1
        }
        endComponent(at: count)
        if count == 0 { return "it is empty" }
        if control { return "it contains a control character" }
        if forbiddenSeen != 0 { return "it contains \(Self.forbidden[forbiddenSeen.trailingZeroBitCount].what)" }
        if dotDot { return "it contains '..'" }
        if atBrace { return "it contains '@{'" }
        if count == 1, previous == UInt8(ascii: "@") { return "it is '@'" }
        if name.utf8.first == UInt8(ascii: "/") || previous == UInt8(ascii: "/") || doubleSlash {
            return "it begins or ends with '/', or has an empty component"
        }
        if previous == UInt8(ascii: ".") { return "it ends with '.'" }
        return component
    }

    private static let forbidden: [(byte: UInt8, what: String)] = [
        (UInt8(ascii: " "), "a space"), (UInt8(ascii: "~"), "'~'"), (UInt8(ascii: "^"), "'^'"),
        (UInt8(ascii: ":"), "':'"), (UInt8(ascii: "?"), "'?'"), (UInt8(ascii: "*"), "'*'"),
        (UInt8(ascii: "["), "'['"), (UInt8(ascii: "\\"), "'\\'"),
    ]

    /// Each byte's position in `forbidden`, or -1.
    private static let forbiddenPositions: [Int8] = (0...255).map { byte in
        Int8(Self.forbidden.firstIndex { $0.byte == byte } ?? -1)
    }

    /// `.lock` as the low five bytes of `tail`.
    private static let dotLock: UInt64 = ".lock".utf8.reduce(0) { $0 << 8 | UInt64($1) }
}
