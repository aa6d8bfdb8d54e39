import Foundation

/// Where a secret comes from. Config files name a source, never the secret itself.
package enum SecretSource: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)

    package var description: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .file(let path): "file \(path)"
        }
    }

    /// The secret's value: the variable's content, or the file's with one trailing newline stripped.
    /// - Returns: `nil` when the variable is unset or empty, or the file is unreadable or empty.
    package func resolve(environment: [String: String], baseDirectory: String) -> String? {
        let value: String?
        switch self {
        case .environment(let name):
            value = environment[name]
        case .file(let path):
            let full = path.hasPrefix("/") ? path : baseDirectory + "/" + path
            value = (try? String(contentsOfFile: full, encoding: .utf8)).map(Self.strippingTrailingNewline)
        }
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    private static func strippingTrailingNewline(_ text: String) -> String {
        var text = text
        if text.hasSuffix("\r\n") {
            text.removeLast(2)
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        return text
    }
}

/// A resolved webhook secret. No description, debug description or reflection shows the value, so it is
/// safe to log by accident (a library printing a value it holds, say).
package struct WebhookSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    package let bytes: [UInt8]

    package init(_ value: String) {
        self.bytes = Array(value.utf8)
    }

    package var description: String { "<secret>" }
    package var debugDescription: String { "<secret>" }
    package var customMirror: Mirror { Mirror(self, children: []) }
}
