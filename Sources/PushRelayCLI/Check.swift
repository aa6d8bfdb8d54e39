import ArgumentParser
import Logging
import PushRelayCore
import PushRelayServer

extension PushRelayCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the config directory as 'serve' would, without starting.",
            discussion: """
                Prints each problem as FILE:LINE: message (warnings are marked and do not fail the check). \
                Exits 0 when the config is usable and 1 when it is not. Environment variables and files \
                named for secrets must be present, as they must for 'serve'. With --online, names of \
                organizations, workspaces and templates are also resolved through the Terrakube API, and \
                each repository whose jobs get commit statuses is read once with its host's status token \
                (or GitHub App), to say which credentials cannot see which repository; with recovery on, \
                each repository's refs are read once as its rounds read them.
                """
        )

        @OptionGroup var options: GlobalOptions

        @Flag(
            help: "Also resolve names through Terrakube and read each repository as statuses and recovery would."
        )
        var online = false

        func run() async throws {
            let (loaded, problems) = ConfigLoader(directory: self.options.config).validate()
            printProblems(problems)
            guard var config = loaded else { throw ExitCode.failure }
            if self.online {
                config = try await resolveOnline(config, directory: self.options.config)
                let (checked, problems) = await checkStatusAccess(config)
                printProblems(problems)
                let (recovered, unreadable) = await checkRecoveryAccess(config)
                printProblems(unreadable)
                guard problems.isEmpty, unreadable.isEmpty else { throw ExitCode.failure }
                if checked > 0 { print("statuses ok: \(checked) repositories readable with their status credentials") }
                if recovered > 0 { print("recovery ok: \(recovered) repositories' refs readable") }
            }
            let routes = config.repositories.reduce(0) { $0 + $1.routes.count }
            print("config ok: \(config.repositories.count) repositories, \(routes) routes")
        }
    }
}

/// `--online` for `check` and `replay`: names resolved through Terrakube as `serve` resolves them; any
/// that does not resolve is printed as `check` prints problems, and the command fails.
func resolveOnline(_ config: RelayConfig, directory: String) async throws -> RelayConfig {
    var logger = Logger(label: "pushrelay")
    logger.logLevel = .error
    let (resolved, unresolved) = await resolveNames(config, servicePath: directory + "/pushrelay.yaml", logger: logger)
    printProblems(unresolved)
    guard let resolved else { throw ExitCode.failure }
    return resolved
}

/// Problems go to standard output, one per line, so `check` can be piped or diffed.
func printProblems(_ problems: [ConfigProblem]) {
    for problem in problems { print(problem.description) }
}
