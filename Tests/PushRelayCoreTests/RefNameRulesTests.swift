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
    ])
    func invalidNamesAreRefusedWithTheRuleTheyBreak(_ name: String, _ problem: String) {
        #expect(RefNameRules.problem(in: name) == problem)
    }
}
