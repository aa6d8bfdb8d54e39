import Logging
import PushRelayCore

/// One line per event on standard error, as swift-log's `StreamLogHandler` writes it
/// (`time level label: key=value … [source] message`), with every control character in the message and
/// the metadata escaped (``TerminalText``): a ref or URL a sender wrote cannot end the line and forge the
/// next one, nor reach the terminal of an operator tailing the log as an escape sequence.
package struct TextLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    /// - Parameter write: where lines go; standard error unless a test says otherwise.
    package init(label: String, write: @escaping @Sendable (String) -> Void = TextLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    package static let standardError: @Sendable (String) -> Void = { LogLine.writeToStandardError($0) }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var line = LogLine.timestamp()
        line.reserveCapacity(256)
        line += " \(event.level) \(self.label):"
        for (key, value) in LogLine.fields(self.metadata, event.metadata) {
            line += " " + TerminalText.escaped(key) + "=" + TerminalText.escaped(value.description)
        }
        line += " [\(event.source)] " + TerminalText.escaped(event.message.description) + "\n"
        self.write(line)
    }
}
