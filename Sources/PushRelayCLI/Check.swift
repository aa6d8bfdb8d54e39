import ArgumentParser
import PushRelayCore

extension PushRelayCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the config directory as 'serve' would, without starting.",
            discussion: """
                Prints each problem as FILE:LINE: message (warnings are marked and do not fail the check).
                Exits 0 when the config is usable and 1 when it is not. Environment variables and files
                named for secrets must be present, as they must for 'serve'.
                """
        )

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let (config, problems) = ConfigLoader(directory: self.options.config).validate()
            printProblems(problems)
            guard let config else { throw ExitCode.failure }
            let routes = config.repositories.reduce(0) { $0 + $1.routes.count }
            print("config ok: \(config.repositories.count) repositories, \(routes) routes")
        }
    }
}

/// Problems go to standard output, one per line, so `check` can be piped or diffed.
func printProblems(_ problems: [ConfigProblem]) {
    for problem in problems { print(problem.description) }
}
