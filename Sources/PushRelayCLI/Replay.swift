import ArgumentParser
import Foundation
import PushRelayCore

extension PushRelayCommand {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show what saved deliveries would do (dry run): decision, reason and the exact Terrakube requests.",
            discussion: """
                Reads saved-delivery files (from 'deliveries export'), GitHub's hook delivery objects, GitLab's hook
                event objects, or bare payloads (then --provider, and --event where the body does not say it).
                Directories are walked; '-' reads standard input. Nothing is sent or stored. The config is loaded
                as 'serve' loads it, and the signature in the saved headers is checked against it (valid, invalid,
                absent, or not-checked for API objects, whose payload is not the signed bytes). A file that cannot
                be read is named on standard error and the others are still replayed; the exit status is then 1.
                """
        )

        @OptionGroup var options: GlobalOptions

        @Option(help: "The provider of bare payloads: github, gitlab, gitea, bitbucket or azure-devops.")
        var provider: ProviderArgument?

        @Option(help: "The event of bare payloads whose body does not name it (such as push).")
        var event: String?

        @Flag(help: "Show what would happen, without sending anything (the default, and for now the only mode).")
        var dryRun = false

        @Flag(help: "One JSON object per file and changed ref (JSON Lines).")
        var json = false

        @Argument(help: "Files or directories to replay; '-' for standard input.")
        var files: [String]

        func run() async throws {
            let config: RelayConfig
            do {
                config = try ConfigLoader(directory: self.options.config).load()
            } catch {
                printProblems(error.problems)
                throw ExitCode.failure
            }
            var failed = 0
            var decisions: [String: Int] = [:]
            for file in try ReplayFiles.expand(self.files) {
                do {
                    let bytes = try ReplayFiles.read(file)
                    let input = try ReplayInput.read(
                        bytes,
                        provider: self.provider?.kind,
                        event: self.event,
                        fallbackDeliveryID: "replay-" + (file as NSString).lastPathComponent
                    )
                    let evaluation = try ReplayEvaluation.evaluate(input, config: config)
                    for ref in evaluation.refs { decisions[ref.decision.rawValue, default: 0] += 1 }
                    print(
                        self.json
                            ? evaluation.jsonLines(file: file).joined(separator: "\n")
                            : ReplayReport.text(evaluation, file: file)
                    )
                } catch {
                    failed += 1
                    FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
                }
            }
            if !self.json {
                let counts = decisions.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(
                    separator: ", "
                )
                print("replayed: \(counts.isEmpty ? "nothing" : counts); unreadable files: \(failed)")
            }
            if failed > 0 { throw ExitCode.failure }
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
