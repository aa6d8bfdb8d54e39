import Logging
import Synchronization

/// A log handler that keeps every line, rendered with its metadata, for tests that read the logs.
package struct CapturingLogHandler: LogHandler {
    /// The lines logged through any handler made from this sink.
    package final class Sink: Sendable {
        private let lines = Mutex<[String]>([])

        package init() {}

        package var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

        package func logger(label: String, level: Logger.Level = .trace) -> Logger {
            var logger = Logger(label: label) { label in CapturingLogHandler(label: label, sink: self) }
            logger.logLevel = level
            return logger
        }

        fileprivate func append(_ line: String) {
            self.lines.withLock { $0.append(line) }
        }
    }

    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .trace
    private let label: String
    private let sink: Sink

    init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let metadata = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.sink.append("\(event.level) \(self.label) \(event.message) \(rendered)")
    }
}
