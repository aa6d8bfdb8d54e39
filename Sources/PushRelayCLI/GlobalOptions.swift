import ArgumentParser
import Logging

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: [.customShort("c"), .long],
        help: ArgumentHelp("The config directory: pushrelay.yaml and repos/*.yaml.", valueName: "dir")
    )
    var config: String = "./config"

    @Option(help: "Lowest log level written: trace, debug, info, notice, warning, error or critical.")
    var logLevel: LogLevel = .info

    @Option(help: "Log line format: text or json.")
    var logFormat: LogFormat = .text
}

/// Own enum instead of a retroactive `Logger.Level: ExpressibleByArgument`.
enum LogLevel: String, CaseIterable, ExpressibleByArgument {
    case trace, debug, info, notice, warning, error, critical

    var level: Logger.Level { Logger.Level(rawValue: self.rawValue) ?? .info }
}

enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}
