import Testing

@testable import PushRelayCore

/// Git's ref-name rules, with cases from Git's own `t1402-check-ref-format.sh`.
struct RefNameRulesTests {
    @Test(arguments: [
        "refs/heads/main", "refs/heads/feat/x-1", "refs/tags/v1.0.0", "refs/heads/ünïcödé", "refs/heads/a@b",
        "refs/heads/a.b", "refs/pull/12/head", "refs/heads/foo-bar_baz+1", "refs/heads/#42",
    ])
    func validNamesPass(_ name: String) {
        #expect(RefNameRules.problem(in: name) == nil)
    }

    @Test(arguments: [
        ("refs/heads/release/../main", "it contains '..'"),
        ("refs/heads/a\nb", "it contains a control character"),
        ("refs/heads/\u{1b}]0;owned\u{07}", "it contains a control character"),
        ("refs/heads/del\u{7f}", "it contains a control character"),
        ("refs/heads/a b", "it contains a space"),
        ("refs/heads/a~1", "it contains '~'"),
        ("refs/heads/a^", "it contains '^'"),
        ("refs/heads/a:b", "it contains ':'"),
        ("refs/heads/a?", "it contains '?'"),
        ("refs/heads/a*", "it contains '*'"),
        ("refs/heads/a[b", "it contains '['"),
        ("refs/heads/a\\b", "it contains '\\'"),
        ("refs/heads/a@{1}", "it contains '@{'"),
        ("@", "it is '@'"),
        ("", "it is empty"),
        ("refs/heads//x", "it begins or ends with '/', or has an empty component"),
        ("refs/heads/x/", "it begins or ends with '/', or has an empty component"),
        ("/refs/heads/x", "it begins or ends with '/', or has an empty component"),
        ("refs/heads/x.", "it ends with '.'"),
        ("refs/heads/.hidden", "a component begins with '.'"),
        ("refs/heads/x.lock", "a component ends with '.lock'"),
        ("refs/heads/x.lock/y", "a component ends with '.lock'"),
        ("refs/.heads/x.lock", "a component begins with '.'"),
    ])
    func invalidNamesAreRefusedWithTheRuleTheyBreak(_ name: String, _ problem: String) {
        #expect(RefNameRules.problem(in: name) == problem)
    }

    /// The one-pass rules say what the rules read one by one say, on names made of the characters the
    /// rules are about.
    @Test func theOnePassRulesAgreeWithTheRulesReadOneByOne() {
        // Mostly what a valid name is made of, so that the later rules are reached; now and then a
        // character that breaks an earlier one.
        let common = ["a", "b", "ü", "-", "/", ".", ".lock", "@", "{"]
        let rare = ["~", "^", ":", "?", "*", "[", "\\", " ", "\n", "\u{7f}"]
        var random = SplitMix64(seed: 0x12EF)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 9)
            let name = (0..<length).map { _ in
                random.next() % 16 == 0
                    ? rare[Int(random.next() % UInt64(rare.count))] : common[Int(random.next() % UInt64(common.count))]
            }.joined()
            #expect(RefNameRules.problem(in: name) == Self.readOneByOne(name), "\(name.debugDescription)")
        }
    }

    /// The rules as Git's documentation states them, each its own scan.
    private static func readOneByOne(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "it is empty" }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) { return "it contains a control character" }
        let forbidden: [(Character, String)] = [
            (" ", "a space"), ("~", "'~'"), ("^", "'^'"), (":", "':'"), ("?", "'?'"), ("*", "'*'"), ("[", "'['"),
            ("\\", "'\\'"),
        ]
        for (character, what) in forbidden where name.contains(character) { return "it contains \(what)" }
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
}
