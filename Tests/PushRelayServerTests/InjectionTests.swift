import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PushRelayFixtures
import PushRelayTestSupport
import Testing

/// What a sender writes never reaches an operator's terminal as control characters: not through the text
/// log, not through `deliveries list` or `show`. The real `serve` process and the real CLI.
@Suite(.timeLimit(.minutes(2)))
struct InjectionTests {
    /// A repository path that would forge a log line, then retitle and clear the terminal (OSC, CSI, and
    /// C1's one-byte CSI), as JSON escapes in the payload.
    static let forgedJSON =
        #"acme/x\n2026-01-01T00:00:00Z info pushrelay: forged [PushRelayServer] Job created"#
        + #"\u001b]0;owned\u0007\u001b[2J\u009b31m\r\t\u007f"#
    /// The same as `serve` escapes it, lowercased (the repository's identity is).
    static let forgedShown =
        #"acme/x\n2026-01-01t00:00:00z info pushrelay: forged [pushrelayserver] job created"#
        + #"\u{1b}]0;owned\u{7}\u{1b}[2j\u{9b}31m\r\t\u{7f}"#

    /// Bytes that would act on a terminal: any C0 but the newline, DEL, and C1 in UTF-8 (0xC2 0x80-0x9F).
    static func controlBytes(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var found: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            if (byte < 0x20 && byte != 0x0A) || byte == 0x7F { found.append(byte) }
            if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                found.append(bytes[index + 1])
            }
        }
        return found
    }

    @Test func aForgedRepositoryPathIsEscapedInTheLogAndInEveryCLIOutput() async throws {
        let setup = try ProcessLifecycleTests.Setup(
            environment: ["DEFAULT_SECRET": "default-secret"],
            service: "secret_env: DEFAULT_SECRET"
        )
        defer { setup.remove() }
        let relay = try setup.start("injection", logFormat: "text")
        let port = try await relay.port()
        let body = Array(
            String(decoding: Fixture.load("github", "go-scm-push").body, as: UTF8.self)
                .replacingOccurrences(of: "Codertocat/Hello-World", with: Self.forgedJSON).utf8
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/github")
        request.method = .POST
        for (name, value) in RelayHarness.github(body, delivery: "forged-1", secret: "default-secret") {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200)  // ignored: no config names the repository

        #expect(await eventually { relay.logText().contains("relay.delivery.id=forged-1") })
        let log = relay.logText()
        #expect(Self.controlBytes(log).isEmpty, "\(Self.controlBytes(log))")
        // One line for the delivery, and no line that begins with the forged text.
        let lines = log.split(separator: "\n")
        #expect(lines.filter { $0.contains("forged") }.count == 1)
        #expect(lines.allSatisfy { $0.hasPrefix("20") && $0.contains(" pushrelay") }, "\(log)")
        #expect(log.lowercased().contains(Self.forgedShown))

        let list = try await RelayProcess.run(["deliveries", "list", "--config", setup.directory])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(Self.controlBytes(list.stdout).isEmpty)
        #expect(list.stdout.split(separator: "\n").count == 2, "\(list.stdout)")  // the header and one row

        let show = try await RelayProcess.run(["deliveries", "show", "forged-1", "--config", setup.directory])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(Self.controlBytes(show.stdout).isEmpty)
        #expect(show.stdout.lowercased().contains("repository: github.com/" + Self.forgedShown))

        let json = try await RelayProcess.run(["deliveries", "list", "--config", setup.directory, "--json"])
        #expect(Self.controlBytes(json.stdout).isEmpty)
        // Escaped as JSON, so a program reading it gets the text as it was sent.
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let repository = try #require(object?["repository"] as? String)
        #expect(repository.contains("\u{1B}]0;owned\u{07}") && repository.contains("\u{9B}31m"))
        relay.signal(SIGTERM)
        _ = try await relay.exitStatus(timeout: .seconds(20))
    }
}
