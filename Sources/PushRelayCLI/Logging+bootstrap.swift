import Logging
import PushRelayServer

extension GlobalOptions {
    /// Configures logging once for the process; only the executable does this.
    func bootstrapLogging() -> Logger {
        let level = self.logLevel.level
        switch self.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = TextLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: "pushrelay")
    }
}
