import Foundation
import Logging

/// One JSON object per line on standard error: `ts`, `level`, `msg`, then the metadata keys.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var object: [String: String] = [
            "ts": LogLine.timestamp(),
            "level": event.level.rawValue,
            "msg": event.message.description,
            "logger": self.label,
        ]
        for (key, value) in LogLine.fields(self.metadata, event.metadata) {
            object[key] = value.description
        }
        guard
            var line = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else {
            return
        }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { LogLine.writeToStandardError($0) }
    }
}
