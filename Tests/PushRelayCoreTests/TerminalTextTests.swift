import Testing

@testable import PushRelayCore

struct TerminalTextTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(TerminalText.escaped("main") == "main")
        #expect(TerminalText.escaped("ünï 🚀 ©") == "ünï 🚀 ©")  // 0xC2 that begins a printable character
        #expect(TerminalText.escaped("a\nb\rc\td") == #"a\nb\rc\td"#)
        #expect(TerminalText.escaped("\u{1B}]0;x\u{07}\u{1B}[2J") == #"\u{1B}]0;x\u{7}\u{1B}[2J"#)
        #expect(
            TerminalText.escaped("\u{00}\u{7F}\u{80}\u{9B}\u{9F}\u{A0}") == #"\u{0}\u{7F}\u{80}\u{9B}\u{9F}"# + "\u{A0}"
        )
    }

    @Test func jsonStringsEscapeDELAndC1Too() {
        #expect(JSONText.quote("a\u{7F}\u{9B}b©") == #""a\u007f\u009bb©""#)
        #expect(JSONText.quote("plain ©") == #""plain ©""#)
    }
}
