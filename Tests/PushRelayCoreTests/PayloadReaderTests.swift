import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// The GitHub-style payload reader (``JSONReader``) against `JSONDecoder`, the reference: what both
/// accept, both read alike; the reader never accepts what `JSONDecoder` refuses.
struct PayloadReaderTests {
    static func reference(_ body: [UInt8]) -> GitHubStylePayload? {
        try? JSONDecoder().decode(GitHubStylePayload.self, from: Data(body))
    }

    static func read(_ body: [UInt8]) -> Result<GitHubStylePayload, PayloadError> {
        Result { () throws(PayloadError) in try GitHubStylePayload(json: body, provider: .github) }
    }

    @Test(arguments: Fixture.all("github", "gitea", "gogs"))
    func everyFixtureReadsAsJSONDecoderReadsIt(_ fixture: Fixture) throws {
        let payload = try GitHubStylePayload(json: fixture.body, provider: .github)
        #expect(payload == Self.reference(fixture.body))
        #expect(payload.repository != nil)
    }

    @Test(arguments: [
        #"{"ref":"refs/heads/caf\u00e9","after":"a\/b\n\t\"q\"\\","repository":null}"#,
        #"{"ref":"\ud834\udd1e x","commits":[],"head_commit":null}"#,
        #"{"r\u0065f":"escaped name","ref":"second, ignored"}"#,
        #"{"ref":"first","ref":5,"created":true,"created":"second"}"#,
        #"  {"x":[1,-0,0.5,1e5,1E+5,-2.5e-3,true,false,null,{"y":[{}]},"s"] , "ref" : "a" }  "#,
        #"{"commits":[{"id":"1","added":["a","b"],"removed":null,"unknown":{"deep":[[[]]]}}],"deleted":false}"#,
        #"{"repository":{"clone_url":"https://h/r.git","clone_url":"dup","html_url":null,"owner":{"x":1}}}"#,
        "\u{FEFF}{\"ref\":\"after a byte order mark\"}",
        #"{"ref":"\u0000"}"#,
        "{}",
    ])
    func validDocumentsReadAlike(_ text: String) throws {
        let body = Array(text.utf8)
        let payload = try GitHubStylePayload(json: body, provider: .github)
        #expect(payload == Self.reference(body))
    }

    @Test(arguments: [
        #"{"ref":"a",}"#,  // trailing comma (JSONDecoder takes it)
        #"{"x":[1,]}"#,
        #"{"x":01}"#,  // leading zero
        #"{"x":1.}"#,
        #"{"x":-}"#,
        #"{"x":"\x"}"#,  // unknown escape in a member not read
        #"{"x":"\u12"}"#,
        "{\"x\":\"raw\ttab\"}",  // control character not escaped
        #"{"ref":"\ud800"}"#,  // lone surrogate
        #"{"ref":"\udd1e"}"#,
        #"{"ref":"a"} x"#,  // trailing text
        #"{"ref":"a""#,
        #"{"ref" "a"}"#,
        #"{"ref":tru}"#,
        #"{"ref":"a" "x":1}"#,
        "",
        "  ",
    ])
    func malformedDocumentsAreRefused(_ text: String) {
        guard case .failure(let error) = Self.read(Array(text.utf8)) else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(error.reason == "body is not valid JSON")
    }

    @Test func invalidUTF8IsRefusedInAReadString() {
        let body: [UInt8] = Array(#"{"ref":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        #expect(Self.reference(body) == nil)
        guard case .failure = Self.read(body) else {
            Issue.record("accepted invalid UTF-8")
            return
        }
    }

    @Test func namesMustBeTextInObjectsThatAreRead() {
        // JSONDecoder turns every name of an object it decodes into a String, so a name that is not text
        // fails there; in an object it skips, it does not.
        let invalid: [UInt8] = [0x22, 0xFF, 0x22]
        let read = Array(#"{"repository":{"#.utf8) + invalid + Array(#":1}}"#.utf8)
        #expect(Self.reference(read) == nil)
        guard case .failure = Self.read(read) else {
            Issue.record("accepted a name that is not UTF-8")
            return
        }
        let skipped = Array(#"{"sender":{"#.utf8) + invalid + Array(#":1},"ref":"x"}"#.utf8)
        #expect(Self.reference(skipped)?.ref == "x")
        #expect((try? GitHubStylePayload(json: skipped, provider: .github))?.ref == "x")
        let escaped = Array(#"{"\ud800":1}"#.utf8)
        #expect(Self.reference(escaped) == nil)
        guard case .failure = Self.read(escaped) else {
            Issue.record("accepted a name with a lone surrogate")
            return
        }
    }

    @Test func nestingIsBounded() {
        let over = JSONReader.maxDepth + 1
        let deep = String(repeating: "[", count: over) + String(repeating: "]", count: over)
        guard case .failure = Self.read(Array(#"{"x":\#(deep)}"#.utf8)) else {
            Issue.record("accepted nesting past the bound")
            return
        }
        let under = JSONReader.maxDepth - 1
        let allowed = String(repeating: "[", count: under) + String(repeating: "]", count: under)
        #expect((try? GitHubStylePayload(json: Array(#"{"x":\#(allowed)}"#.utf8), provider: .github)) != nil)
    }

    @Test(arguments: [
        (#"{"ref":5}"#, "ref"),
        (#"[1]"#, ""),
        (#""text""#, ""),
        (#"{"repository":"github.com/a/b"}"#, "repository"),
        (#"{"commits":{}}"#, "commits"),
        (#"{"commits":[{"id":"1"},null]}"#, "commits.1"),
        (#"{"commits":[{"added":["a",null]}]}"#, "commits.0.added.1"),
        (#"{"head_commit":{"message":false}}"#, "head_commit.message"),
        (#"{"created":"true"}"#, "created"),
        (#"{"repository":{"ssh_url":[]}}"#, "repository.ssh_url"),
    ])
    func aMemberOfTheWrongTypeIsNamed(_ text: String, _ path: String) {
        let body = Array(text.utf8)
        #expect(Self.reference(body) == nil, "JSONDecoder refuses it too")
        guard case .failure(let error) = Self.read(body) else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(error.reason == "body is not a github payload: unexpected value at '\(path)'")
    }

    @Test func aSyntaxErrorAnywhereWinsOverATypeMismatch() {
        guard case .failure(let error) = Self.read(Array(#"{"ref":5,"x":01}"#.utf8)) else {
            Issue.record("accepted")
            return
        }
        #expect(error.reason == "body is not valid JSON")
    }

    /// Strings are scanned eight bytes at a time up to the first byte that may end or escape them: every
    /// such byte, at every offset around those eight-byte steps, is found as `JSONDecoder` finds it.
    @Test(arguments: [#"\""#, #"\\"#, #"\u00e9"#, "\u{01}", "\u{1F}", "\\x", "é", "🚀", "\u{7F}", " "])
    func everyByteThatEndsPlainTextIsFoundAtAnyOffset(_ special: String) {
        for offset in 0..<24 {
            for tail in 0..<10 {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: tail)
                let body = Array("{\"ref\":\"\(text)\",\"after\":\"x\"}".utf8)
                switch Self.read(body) {
                case .success(let payload):
                    #expect(payload == Self.reference(body), "offset \(offset), tail \(tail)")
                case .failure:
                    #expect(Self.reference(body) == nil, "refused at offset \(offset), tail \(tail)")
                }
            }
        }
    }

    /// Random documents shaped like push payloads: the members read, with values of every type, among
    /// members that are not, in random formatting. Each must read as `JSONDecoder` reads it.
    @Test func generatedDocumentsReadAsJSONDecoderReadsThem() {
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<3000 {
            let body = Array(RandomPayload.document(&random).utf8)
            let reference = Self.reference(body)
            switch Self.read(body) {
            case .success(let payload):
                #expect(payload == reference, "\(String(decoding: body, as: UTF8.self))")
            case .failure(let error):
                // Generated documents are valid JSON: a refusal must be a type mismatch JSONDecoder shares.
                #expect(reference == nil, "refused \(error): \(String(decoding: body, as: UTF8.self))")
                #expect(error.reason != "body is not valid JSON", "\(String(decoding: body, as: UTF8.self))")
            }
        }
    }
}

/// A small seeded generator, so that a failure is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Valid JSON text for push-like payloads.
enum RandomPayload {
    static let names = [
        "ref", "after", "before", "created", "deleted", "ref_type", "repository", "commits", "head_commit", "clone_url",
        "ssh_url", "git_url", "html_url", "id", "message", "added", "removed", "modified", "other", "r\\u0065f",
    ]

    static func document(_ random: inout some RandomNumberGenerator) -> String {
        self.object(&random, depth: 0)
    }

    static func whitespace(_ random: inout some RandomNumberGenerator) -> String {
        ["", "", " ", "\n  ", "\t", "\r\n"].randomElement(using: &random)!
    }

    static func object(_ random: inout some RandomNumberGenerator, depth: Int) -> String {
        let members = (0..<Int.random(in: 0...6, using: &random)).map { _ in
            let name = self.names.randomElement(using: &random)!
            return self.whitespace(&random) + "\"\(name)\"" + self.whitespace(&random) + ":"
                + self.value(&random, depth: depth + 1)
        }
        return "{" + members.joined(separator: ",") + self.whitespace(&random) + "}"
    }

    static func value(_ random: inout some RandomNumberGenerator, depth: Int) -> String {
        let choice = Int.random(in: 0..<(depth > 4 ? 6 : 9), using: &random)
        let text: String
        switch choice {
        case 0: text = "null"
        case 1: text = Bool.random(using: &random) ? "true" : "false"
        case 2: text = ["0", "-1", "3.25", "1e9", "-0.5E-3", "12345678901234567890"].randomElement(using: &random)!
        case 3, 4, 5: text = self.string(&random)
        case 6: text = self.object(&random, depth: depth)
        default:
            let elements = (0..<Int.random(in: 0...3, using: &random)).map { _ in self.value(&random, depth: depth + 1)
            }
            text = "[" + elements.joined(separator: ",") + "]"
        }
        return self.whitespace(&random) + text + self.whitespace(&random)
    }

    static func string(_ random: inout some RandomNumberGenerator) -> String {
        let pieces = [
            "a", "refs/heads/main", "é", "🚀", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude80", "\\u0000", " ",
        ]
        let count = Int.random(in: 0...4, using: &random)
        return "\"" + (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined() + "\""
    }
}
