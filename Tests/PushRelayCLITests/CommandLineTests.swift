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

    @Test func badUsageSaysWhatIsWrongAndExitsWith64() {
        let level = refusal(["serve", "--log-level", "loud"])
        #expect(level.code == 64)
        #expect(level.message.contains("'loud'"), "\(level.message)")
        #expect(level.message.contains("--log-level"), "\(level.message)")
        let unknown = refusal(["serve", "--no-such-flag"])
        #expect(unknown.code == 64)
        #expect(unknown.message.contains("--no-such-flag"), "\(unknown.message)")
        #expect(PushRelayCommand.exitCode(for: ValidationError("x")).rawValue == 64)
    }

    @Test func versionPrintsTheBuildVersion() {
        let version = refusal(["--version"])
        #expect(version.code == 0)
        #expect(version.message == PushRelayVersion.current)
        #expect(PushRelayVersion.current.split(separator: ".").allSatisfy { Int($0) != nil })
    }

    @Test func replayToValidatesItsOptions() throws {
        let rate = refusal(["replay", "--rate", "5", "a.json"])
        #expect(rate.code == 64 && rate.message.contains("--rate"), "\(rate.message)")
        let scheme = refusal(["replay", "--to", "ftp://x", "a.json"])
        #expect(
            scheme.code == 64 && scheme.message.contains("--to needs an http:// or https:// URL"),
            "\(scheme.message)"
        )
        let online = refusal(["replay", "--to", "http://x", "--online", "a.json"])
        #expect(online.code == 64 && online.message.contains("--online"), "\(online.message)")
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
        let provider = refusal(["replay", "--provider", "svn", "a.json"])
        #expect(provider.code == 64 && provider.message.contains("'svn'"), "\(provider.message)")
    }
}

/// What the command line says of `arguments`, and the exit code it stops with (0: it parsed).
private func refusal(_ arguments: [String]) -> (message: String, code: Int32) {
    do {
        _ = try PushRelayCommand.parseAsRoot(arguments)
        return ("parsed", 0)
    } catch {
        return (PushRelayCommand.message(for: error), PushRelayCommand.exitCode(for: error).rawValue)
    }
}
