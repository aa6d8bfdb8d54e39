import ArgumentParser
import PushRelayCore

@main
struct PushRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pushrelay",
        abstract: "GitOps webhook listener for Terrakube.",
        discussion: """
            Receives signed push webhooks (GitHub, GitLab, Gitea, Bitbucket, Azure DevOps), matches them against the routes in \
            config/repos/*.yaml, and creates Terrakube jobs with overrideBranch set to the pushed branch. \
            Every accepted delivery is committed to the store before it is answered, and each job is \
            created once.
            """,
        version: PushRelayVersion.current,
        subcommands: [Serve.self, Check.self, Replay.self, Deliveries.self, Recover.self]
    )
}
