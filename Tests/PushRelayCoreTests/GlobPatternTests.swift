import Testing

@testable import PushRelayCore

struct GlobPatternTests {
    @Test(arguments: [
        ("main", "main", true),
        ("main", "mainline", false),
        ("release/*", "release/1.0", true),
        ("release/*", "release/1.0/hotfix", false),
        ("release/**", "release/1.0/hotfix", true),
        ("release/**", "release/1.0", true),
        ("release/**", "release", false),
        ("**/prod", "prod", true),
        ("**/prod", "envs/eu/prod", true),
        ("envs/**/main.tf", "envs/main.tf", true),
        ("envs/**/main.tf", "envs/a/b/main.tf", true),
        ("envs/**/main.tf", "envs/a/b/main.tf.bak", false),
        ("v?", "v1", true),
        ("v?", "v10", false),
        ("v*", "v1.2.3", true),
        ("v*", "1.2.3", false),
        ("*", "feature/x", false),
        ("**", "feature/x", true),
        ("feat-*-fix", "feat-abc-fix", true),
        ("feat-*-fix", "feat--fix", true),
        ("feat-*-fix", "feat-abc-fi", false),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXcYb", false),
        ("?", "/", false),
    ])
    func matches(pattern: String, name: String, expected: Bool) throws {
        #expect(try GlobPattern(pattern).matches(name) == expected)
    }

    @Test(arguments: [
        ("", GlobPattern.Failure.empty),
        ("release//x", .emptySegment),
        ("/main", .emptySegment),
        ("release/", .emptySegment),
        ("release**", .doubleStarInsideSegment),
        ("[abc]", .characterClass),
    ])
    func refusesBadPatterns(pattern: String, failure: GlobPattern.Failure) {
        #expect(throws: failure) { try GlobPattern(pattern) }
    }

    @Test func negationExcludes() throws {
        let set = try PatternSet(["release/**", "!release/old/**"])
        #expect(set.matches("release/2.0"))
        #expect(!set.matches("release/old/1.0"))
        #expect(!set.matches("main"))
    }

    @Test func exclusionsAloneMatchEverythingElse() throws {
        let set = try PatternSet(["!main"])
        #expect(set.matches("develop"))
        #expect(!set.matches("main"))
    }

    @Test func longPathologicalInputStaysFast() throws {
        // A backtracking matcher would take exponential time here.
        let pattern = try GlobPattern(String(repeating: "a*", count: 30) + "b")
        let name = String(repeating: "a", count: 5000)
        #expect(!pattern.matches(name))
    }
}
