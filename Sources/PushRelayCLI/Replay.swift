import ArgumentParser
import Foundation
import PushRelayCore

extension PushRelayCommand {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what saved deliveries would do, or send them again to a listener.",
            discussion: """
                Reads saved-delivery files (from 'deliveries export'), GitHub's hook delivery objects, GitLab's hook \
                event objects, or bare payloads (then --provider, and --event where the body does not say it). \
                Directories are walked; '-' reads standard input.

                Dry run (the default): nothing is sent or stored. The config is loaded as 'serve' loads it; each \
                file shows its decision, reason and the exact Terrakube requests, and whether the signature in \
                the saved headers verifies (valid, invalid, absent, or not-checked for API objects, whose payload \
                is not the signed bytes). Names of workspaces and templates show as name:<name> unless --online \
                resolves them through the Terrakube API.

                With --to URL, each delivery is POSTed to URL/hooks/<provider>, authenticated afresh with the \
                secret the config gives its repository (the first listed), under a new delivery id unless \
                --keep-delivery-id. One at a time by default, in file order; each answer is printed.

                A file that cannot be read is named on standard error and the others still go on. Exit status 1 \
                when a file could not be read or, with --to, an answer was not 2xx.
                """
        )

        @OptionGroup var options: GlobalOptions

        @Option(help: "The provider of bare payloads: github, gitlab, gitea, bitbucket or azure-devops.")
        var provider: ProviderArgument?

        @Option(help: "The event of bare payloads whose body does not name it (such as push).")
        var event: String?

        @Flag(help: "Show what would happen, without sending anything (the default).")
        var dryRun = false

        @Flag(help: "Dry run: resolve workspace and template names through the Terrakube API.")
        var online = false

        @Option(help: ArgumentHelp("Send each delivery to the listener at this base URL.", valueName: "url"))
        var to: String?

        @Flag(help: "With --to: send the saved delivery id, to test dedupe (the listener answers duplicate).")
        var keepDeliveryID = false

        @Option(help: "With --to: at most this many deliveries per second.")
        var rate: Double?

        @Option(help: "With --to: this many deliveries in flight at once (1 keeps file order).")
        var concurrency = 1

        @Flag(help: "One JSON object per file and changed ref (dry run) or per answer (--to), as JSON Lines.")
        var json = false

        @Flag(name: [.customShort("q"), .long], help: "Print only problems; the exit status tells the rest.")
        var quiet = false

        @Argument(help: "Files or directories to replay; '-' for standard input.")
        var files: [String]

        func validate() throws {
            if self.to == nil {
                if self.keepDeliveryID || self.rate != nil || self.concurrency != 1 {
                    throw ValidationError("--keep-delivery-id, --rate and --concurrency need --to")
                }
            } else {
                if self.dryRun || self.online { throw ValidationError("--dry-run and --online cannot go with --to") }
                guard let url = URL(string: self.to!), url.scheme == "http" || url.scheme == "https", url.host != nil
                else {
                    throw ValidationError("--to needs an http:// or https:// URL")
                }
            }
            if let rate = self.rate, !(rate > 0) { throw ValidationError("--rate must be above 0") }
            if self.concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        }

        func run() async throws {
            let config = try await self.loadConfig()
            let files = try ReplayFiles.expand(self.files)
            var summary = ReplaySummary()
            var progress = ReplayProgress(total: files.count, enabled: !self.quiet && files.count >= 10)
            if let to = self.to {
                await self.send(files, config: config, to: to, summary: &summary, progress: &progress)
            } else {
                self.evaluate(files, config: config, summary: &summary, progress: &progress)
            }
            progress.finish()
            if !self.quiet && !self.json { print(summary.text(sent: self.to != nil)) }
            if let failure = summary.failure {
                FileHandle.standardError.write(Data("replay: \(failure)\n".utf8))
                throw ExitCode.failure
            }
        }

        /// The config as `serve` loads it; with `--online`, names resolved as `serve` resolves them.
        private func loadConfig() async throws -> RelayConfig {
            let config: RelayConfig
            do {
                config = try ConfigLoader(directory: self.options.config).load()
            } catch {
                printProblems(error.problems)
                throw ExitCode.failure
            }
            return self.online ? try await resolveOnline(config, directory: self.options.config) : config
        }

        /// One file read into a delivery, or a line on standard error naming it.
        func input(_ file: String, summary: inout ReplaySummary) -> ReplayInput? {
            do {
                return try ReplayInput.read(
                    try ReplayFiles.read(file),
                    provider: self.provider?.kind,
                    event: self.event,
                    fallbackDeliveryID: "replay-" + (file as NSString).lastPathComponent
                )
            } catch {
                self.unreadable(file, error, summary: &summary)
                return nil
            }
        }

        func unreadable(_ file: String, _ error: any Error, summary: inout ReplaySummary) {
            summary.unreadable.append(file)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(file): \(error)\n".utf8))
        }
    }
}

/// `--provider`: Core's provider kinds, without a retroactive conformance.
struct ProviderArgument: ExpressibleByArgument {
    var kind: ProviderKind

    init?(argument: String) {
        guard let kind = ProviderKind(rawValue: argument.lowercased()) else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { ProviderKind.allCases.map(\.rawValue) }
}
