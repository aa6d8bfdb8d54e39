import ArgumentParser
import Foundation
import Testing

@testable import PushRelayCLI

/// Every command's help as ArgumentParser renders it: sentences wrapped by the terminal, never by the
/// source's indentation.
struct HelpTextTests {
    /// Every text of the command tree (abstracts, discussions, each option's help), from ArgumentParser's
    /// own dump of it.
    private static func texts() throws -> [(path: String, text: String)] {
        let dump = try JSONSerialization.jsonObject(with: Data(PushRelayCommand._dumpHelp().utf8))
        var found: [(String, String)] = []
        func walk(_ value: Any, _ path: String) {
            switch value {
            case let text as String: found.append((path, text))
            case let object as [String: Any]: for (key, inner) in object { walk(inner, path + "." + key) }
            case let array as [Any]: for (index, inner) in array.enumerated() { walk(inner, path + "[\(index)]") }
            default: break
            }
        }
        walk(dump, "help")
        return found
    }

    @Test func theDumpCoversEverySubcommand() throws {
        let texts = try Self.texts()
        // The deliveries discussion, which once carried the indentation of a multi-line literal.
        #expect(texts.contains { $0.text.contains("What is kept: every delivery's headers") })
        #expect(texts.filter { $0.path.hasSuffix(".commandName") }.count >= 8)
    }

    @Test func noSentenceHasARunOfSpaces() throws {
        for (path, text) in try Self.texts() {
            for line in text.split(separator: "\n") {
                let words = line.drop { $0 == " " }
                #expect(!words.contains("  "), "\(path): \(line)")
            }
        }
    }
}
