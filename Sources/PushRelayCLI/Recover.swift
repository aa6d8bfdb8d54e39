import ArgumentParser
import Logging
import PushRelayCore
import PushRelayServer

extension PushRelayCommand {
    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look for pushes no webhook brought, now (after an outage), and queue them.",
            discussion: """
                Runs one round of missed-push recovery for each repository (or the one --repository names), \
                as 'serve' does every recovery.poll_seconds: reads its branches and tags from the Git host, \
                compares them with the heads PushRelay remembers, and records each push that differs as a \
                delivery (recovered:{ref}@{sha}), decided by the repository's routes. A running 'serve' \
                creates their jobs within a second; otherwise its next start does. A repository's first \
                round only remembers its heads. With --dry-run, nothing is remembered or queued: each \
                repository's line says what would be. Prints one line per repository; exits 1 when a \
                repository could not be read.
                """
        )

        @OptionGroup var options: GlobalOptions

        @Option(help: ArgumentHelp("Only this repository (host/path, or any URL form of it).", valueName: "repo"))
        var repository: String?

        @Flag(help: "Say what would be queued; remember and queue nothing.")
        var dryRun = false

        func run() async throws {
            let (loaded, problems) = ConfigLoader(directory: self.options.config).validate()
            guard var config = loaded else {
                printProblems(problems)
                throw ExitCode.failure
            }
            var only: RepositoryIdentity?
            if let name = self.repository {
                guard let identity = RepositoryIdentity(normalizing: name),
                    config.repositories.contains(where: { $0.identity == identity })
                else { throw CommandFailure("no repository file names '\(name)'") }
                only = identity
            }
            if config.needsNameResolution { config = try await resolveOnline(config, directory: self.options.config) }
            var logger = Logger(label: "pushrelay")
            logger.logLevel = .error
            let dryRun = self.dryRun
            let results = try await withStore(config.settings.store, access: .write, logger: logger) { store in
                try await recoverNow(config, store: store, repository: only, dryRun: dryRun, logger: logger)
            }
            guard !results.isEmpty else {
                throw CommandFailure("no repository is recovered (recovery: false, or a host of unknown kind)")
            }
            var failed = false
            for round in results {
                if let result = round.heads {
                    print("\(round.name): \(RecoverCommandText.describe(result, dryRun: dryRun))")
                    if case .unreadable = result { failed = true }
                    if case .failed = result { failed = true }
                    if case .rateLimited = result { failed = true }
                    if case .paused = result { failed = true }
                }
                if let outcome = round.redelivery {
                    print("\(round.name): \(RecoverCommandText.describe(outcome, dryRun: dryRun))")
                    if RecoverCommandText.problem(outcome) != nil { failed = true }
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}
