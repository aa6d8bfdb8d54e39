import ArgumentParser
import PushRelayCore
import Testing

@testable import PushRelayCLI

/// The command line as an operator types it: parsing only; `run()` bootstraps logging once per process.
struct CommandLineTests {
    @Test func serveTakesTheConfigDirectory() throws {
        let command = try PushRelayCommand.parseAsRoot(["serve", "--config", "/etc/pushrelay", "--log-format", "json"])
        let serve = try #require(command as? PushRelayCommand.Serve)
        #expect(serve.options.config == "/etc/pushrelay")
        #expect(serve.options.logFormat == .json)
    }

    @Test func checkDefaultsToTheConfigFolder() throws {
        let check = try #require(try PushRelayCommand.parseAsRoot(["check"]) as? PushRelayCommand.Check)
        #expect(check.options.config == "./config")
        #expect(check.options.logLevel == .info)
    }

    @Test func badUsageExitsWith64() {
        #expect(throws: (any Error).self) { try PushRelayCommand.parseAsRoot(["serve", "--log-level", "loud"]) }
        #expect(PushRelayCommand.exitCode(for: ValidationError("x")).rawValue == 64)
    }

    @Test func versionIsTheBuildVersion() {
        #expect(PushRelayCommand.configuration.version == PushRelayVersion.current)
        #expect(PushRelayVersion.current.split(separator: ".").count == 3)
    }

    @Test func replayToValidatesItsOptions() throws {
        #expect(throws: (any Error).self) { try PushRelayCommand.parseAsRoot(["replay", "--rate", "5", "a.json"]) }
        #expect(throws: (any Error).self) {
            try PushRelayCommand.parseAsRoot(["replay", "--to", "ftp://x", "a.json"])
        }
        #expect(throws: (any Error).self) {
            try PushRelayCommand.parseAsRoot(["replay", "--to", "http://x", "--online", "a.json"])
        }
        let command = try PushRelayCommand.parseAsRoot([
            "replay", "--to", "http://127.0.0.1:8080", "--keep-delivery-id", "--rate", "2.5", "--concurrency", "3",
            "-q",
            "dir",
        ])
        let replay = try #require(command as? PushRelayCommand.Replay)
        #expect(replay.to == "http://127.0.0.1:8080" && replay.keepDeliveryID && replay.quiet)
        #expect(replay.rate == 2.5 && replay.concurrency == 3)
    }

    @Test func helpExplainsEachCommand() {
        let help = PushRelayCommand.helpMessage(for: PushRelayCommand.Serve.self)
        #expect(help.contains("--config"))
        #expect(help.contains("SIGTERM"))
        #expect(PushRelayCommand.helpMessage(for: PushRelayCommand.Check.self).contains("FILE:LINE: message"))
    }
}

struct ReplayCommandLineTests {
    @Test func replayTakesFilesProviderAndEvent() throws {
        let command = try PushRelayCommand.parseAsRoot(["replay", "--provider", "gitlab", "--json", "a.json", "dir"])
        let replay = try #require(command as? PushRelayCommand.Replay)
        #expect(replay.provider?.kind == .gitlab)
        #expect(replay.json)
        #expect(replay.files == ["a.json", "dir"])
        #expect(throws: (any Error).self) {
            try PushRelayCommand.parseAsRoot(["replay", "--provider", "svn", "a.json"])
        }
    }
}
