import Foundation
import PropertyBased
import Testing

@testable import PushRelayCore

/// Properties of the glob matcher and of repository normalisation over generated inputs.
struct PropertyTests {
    /// Patterns and names over a small alphabet, so that matches and near-misses both occur often.
    static let patterns = Gen.element(of: ["a", "b", "*", "?", "/", "**"]).array(of: 1...6).map {
        $0.compactMap { $0 }.joined()
    }
    static let names = Gen.element(of: ["a", "b", "/"]).array(of: 0...6).map { $0.compactMap { $0 }.joined() }

    /// An independent reading of the glob rules as a regular expression: `*` and `?` within a segment,
    /// `**` as zero or more whole segments, one or more at the end.
    static func oracle(_ pattern: String) -> NSRegularExpression {
        var regex = "^"
        var segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // Consecutive `**` mean the same as one.
        segments = segments.enumerated().filter {
            $0.offset == 0 || !($0.element == "**" && segments[$0.offset - 1] == "**")
        }.map(\.element)
        for (index, segment) in segments.enumerated() {
            let last = index == segments.count - 1
            if segment == "**" {
                regex += last ? ".*" : "(?:[^/]*/)*"
                continue
            }
            for character in segment {
                switch character {
                case "*": regex += "[^/]*"
                case "?": regex += "[^/]"
                default: regex += NSRegularExpression.escapedPattern(for: String(character))
                }
            }
            if !last { regex += "/" }
        }
        return try! NSRegularExpression(pattern: regex + "$")
    }

    @Test func globMatcherAgreesWithARegularExpression() async {
        await propertyCheck(count: 5000, input: Self.patterns, Self.names) { pattern, name in
            guard let glob = try? GlobPattern(pattern) else { return }  // invalid patterns are refused by check
            let range = NSRange(name.startIndex..., in: name)
            let expected = Self.oracle(pattern).firstMatch(in: name, range: range) != nil
            #expect(glob.matches(name) == expected, "pattern \(pattern) name \(name)")
        }
    }

    @Test func anExcludedNameNeverMatches() async {
        await propertyCheck(input: Self.names) { name in
            guard !name.isEmpty, let set = try? PatternSet(["**", "!" + name]) else { return }
            #expect(!set.matches(name))
        }
    }

    /// Text from control characters, quotes, backslashes, ASCII and beyond, so both of `quote`'s paths run.
    static let anyText = Gen.element(of: ["\u{0}", "\u{1f}", "\n", "\"", "\\", "/", "a", "é", "🚀", "\u{7f}"])
        .array(of: 0...8).map { $0.compactMap { $0 }.joined() }

    @Test func quotedTextReadsBackAsItself() async {
        await propertyCheck(count: 2000, input: Self.anyText) { text in
            let quoted = JSONText.quote(text)
            #expect((try? JSONDecoder().decode(String.self, from: Data(quoted.utf8))) == text, "\(quoted)")
        }
    }

    /// Header-name-like text: letters of both cases, digits, and the punctuation either side of the letters.
    static let headerNames = Gen.element(of: ["a", "A", "z", "Z", "-", "0", "@", "`", "[", "{", "_", "é"])
        .array(of: 0...5).map { $0.compactMap { $0 }.joined() }

    @Test func headerNamesCompareAsTheirASCIILowerCase() async {
        await propertyCheck(count: 3000, input: Self.headerNames, Self.headerNames) { left, right in
            let asciiLower = { (text: String) in String(text.map { $0.isASCII ? Character($0.lowercased()) : $0 }) }
            #expect(WebhookHeaders.sameName(left, right) == (asciiLower(left) == asciiLower(right)), "\(left) \(right)")
        }
    }

    @Test func aHeaderIsFoundInAnyCaseAndTheFirstOfRepeatsWins() {
        var headers = WebhookHeaders([(name: "X-GitHub-Event", value: "push"), (name: "x-github-event", value: "ping")])
        #expect(headers["x-github-event"] == "push")
        #expect(headers["X-GITHUB-EVENT"] == "push")
        #expect(headers["X-GitHub-Even"] == nil)
        headers.set("X-GITHUB-EVENT", to: "delete")
        #expect(headers.fields.map(\.value) == ["delete"])
        headers.remove("x-github-event")
        #expect(headers["X-GitHub-Event"] == nil && headers.fields.isEmpty)
    }

    static let word = Gen.lowercaseLetter.string(of: 1...8)

    @Test func everyURLFormOfARepositoryIsOneIdentity() async {
        await propertyCheck(input: Self.word, Self.word.array(of: 2...4)) { host, segments in
            let domain = host + ".example"
            let path = segments.joined(separator: "/")
            let forms = [
                "https://\(domain)/\(path).git", "http://user:pw@\(domain):8080/\(path)/", "git@\(domain):\(path).git",
                "ssh://git@\(domain):2222/\(path)", "\(domain)/\(path)",
                "HTTPS://\(domain.uppercased())/\(path.uppercased()).git",
            ]
            let identities = Set(forms.compactMap(RepositoryIdentity.init(normalizing:)))
            #expect(identities.count == 1, "\(forms)")
            // Normalising a normalised identity changes nothing.
            if let identity = identities.first {
                #expect(RepositoryIdentity(normalizing: identity.description) == identity)
            }
        }
    }
}
