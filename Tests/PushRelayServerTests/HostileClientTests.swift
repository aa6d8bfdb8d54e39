import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the internet may send before any signature is checked, against the real `pushrelay serve`
/// process: each attack gets its status code or a closed connection within the configured timeouts,
/// another client is answered meanwhile, nothing is stored, and the process's peak memory stays under
/// the body limit times the connection limit plus a fixed margin.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HostileClientTests {
    static let bodyLimit = 1 << 20
    static let connectionLimit = 64
    static let limits = """
        limits:
          max_body_bytes: \(bodyLimit)
          max_connections: \(connectionLimit)
          max_header_bytes: 16384
          idle_timeout_seconds: 1
          read_timeout_seconds: 2
        """

    /// One process for the whole suite: the attacks follow each other, as they would in the wild.
    @Test func attacksAreAnsweredOrCutOffAndTheServerStaysUp() async throws {
        let setup = try ProcessLifecycleTests.Setup(service: Self.limits)
        defer { setup.remove() }
        let relay = try setup.start("hostile")
        let port = try await relay.port()
        let attack = Attack(port: port)

        // A body claiming 10 GB: refused from its Content-Length, before any of it is read.
        #expect(
            await attack.status(head: "POST /hooks/github", headers: Self.github + ["Content-Length: 10737418240"])
                == 413
        )

        // A body over the limit, sent chunked, without a length to refuse it early.
        #expect(
            await attack.statusOrClosed(
                head: "POST /hooks/github",
                headers: Self.github + ["Transfer-Encoding: chunked"],
                body: Array(repeating: Self.chunk(64 * 1024), count: 24).joined().map { $0 }
            ) == 413
        )

        // Chunked without end, and a Content-Length body never finished: cut off at the read timeout.
        for headers in [Self.github + ["Transfer-Encoding: chunked"], Self.github + ["Content-Length: 5000"]] {
            let connection = try RawConnection(port: port)
            connection.send(Attack.request("POST /hooks/github", headers: headers, body: Self.chunk(10)))
            let start = ContinuousClock.now
            #expect(await attack.stillServed())
            #expect(await connection.receive(timeout: .seconds(8)).closed)
            #expect(ContinuousClock.now - start < .seconds(8))
        }

        // Slowloris: headers dribbled a byte at a time never become a request; cut off at the idle timeout.
        let slow = try RawConnection(port: port)
        var slowClosed = false
        for byte in Array("POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Padding: ".utf8)
            + Array(repeating: 97, count: 200)
        {
            slow.send([byte])
            if await slow.receive(timeout: .milliseconds(100)).closed {
                slowClosed = true
                break
            }
        }
        #expect(slowClosed)

        // Oversized and repeated headers.
        let padding = String(repeating: "a", count: 32 * 1024)
        #expect(
            [400, 431, nil].contains(await attack.status(head: "GET /healthz", headers: ["X-Padding: \(padding)"]))
        )
        let repeated = Array(repeating: "X-Hub-Signature-256: sha256=00", count: 500)
        #expect([400, 431, nil].contains(await attack.status(head: "POST /hooks/github", headers: repeated)))
        let fewRepeated = Self.github + Array(repeating: "X-Hub-Signature-256: sha256=00", count: 50)
        #expect(await attack.status(head: "POST /hooks/github", headers: fewRepeated, body: Self.push) == 401)

        // Invalid UTF-8 in the body and in a header value; JSON nested 100,000 deep; a large array.
        #expect(await attack.status(head: "POST /hooks/github", headers: Self.github, body: [0xFF, 0xFE, 0x7B]) == 400)
        let badHeader = Array("X-GitHub-Event: push\r\nX-GitHub-Delivery: \u{FF}".utf8) + [0xC3, 0x28]
        #expect(
            [400, 401].contains(
                await attack.status(rawHead: "POST /hooks/github", rawHeaders: badHeader, body: Self.push)
            )
        )
        let deep = Array("{\"ref\":".utf8) + Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(await attack.status(head: "POST /hooks/github", headers: Self.github, body: deep) == 400)
        let numbers =
            Array("[".utf8) + Array(repeating: Array("1234567,".utf8), count: 120_000).joined() + Array("1]".utf8)
        #expect(await attack.status(head: "POST /hooks/github", headers: Self.github, body: numbers) == 400)

        // The wrong provider's payload, and signatures of the wrong length, scheme or encoding.
        let gitlab = Fixture.load("gitlab", "gitlab-docs-push-hook").body
        #expect(
            [400, 401].contains(await attack.status(head: "POST /hooks/github", headers: Self.github, body: gitlab))
        )
        for signature in [
            "sha256=abc", "sha256=" + String(repeating: "zz", count: 32), "sha512=00", "c2lnbmF0dXJl", "",
        ] {
            let headers = Self.github + ["X-Hub-Signature-256: \(signature)"]
            #expect(await attack.status(head: "POST /hooks/github", headers: headers, body: Self.push) == 401)
        }

        // HTTP/1.0 is answered and closed; pipelined requests are answered in order.
        let old = try RawConnection(port: port)
        old.send("GET /healthz HTTP/1.0\r\n\r\n")
        let oldAnswer = await old.receive(timeout: .seconds(5))
        #expect(RawConnection.status(of: oldAnswer.bytes) == 200)
        #expect(oldAnswer.closed)
        let pipelined = try RawConnection(port: port)
        pipelined.send(
            String(repeating: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", count: 3)
                + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        let answers = String(decoding: await pipelined.receive(timeout: .seconds(2)).bytes, as: UTF8.self)
        #expect(answers.components(separatedBy: "HTTP/1.1 200").count == 4)
        #expect(answers.components(separatedBy: "HTTP/1.1 404").count == 2)
        #expect(
            answers.range(of: "HTTP/1.1 404")!.lowerBound
                > answers.range(of: "HTTP/1.1 200", options: .backwards)!.lowerBound
        )

        // A request cut off mid-body: the client goes away; nothing is stored.
        let cut = try RawConnection(port: port)
        cut.send(
            Attack.request(
                "POST /hooks/github",
                headers: Self.signed("cut-1"),
                body: Array(Self.push.prefix(1000)),
                length: Self.push.count
            )
        )
        cut.disconnect()

        // Four times the connection limit in idle connections: each is closed at the idle timeout, and the
        // server answers again. (Not a thousand: the test process shares its descriptors with the suites
        // running beside it.)
        let idleCount = Self.connectionLimit * 4
        var idle: [RawConnection] = []
        for _ in 0..<idleCount {
            guard let connection = try? RawConnection(port: port, waiting: false) else { break }
            idle.append(connection)
        }
        #expect(idle.count == idleCount)
        #expect(await attack.stillServed(within: .seconds(20)))
        idle.removeAll()

        // Bodies at the limit on every connection at once: memory stays bounded.
        let big = Array(repeating: UInt8(ascii: " "), count: Self.bodyLimit - 2) + Array("{}".utf8)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<Self.connectionLimit {
                group.addTask { _ = await attack.status(head: "POST /hooks/github", headers: Self.github, body: big) }
            }
        }
        let peak = try #require(Self.peakMemory(pid: relay.pid))
        let bound = Self.bodyLimit * Self.connectionLimit + 96 << 20
        #expect(peak < bound, "peak RSS \(peak >> 20) MiB, bound \(bound >> 20) MiB")

        // Through all of it: one good delivery is queued, the cut-off one never was, and the process is up.
        let good = try RawConnection(port: port)
        good.send(Attack.request("POST /hooks/github", headers: Self.signed("good-1"), body: Self.push))
        #expect(RawConnection.status(of: await good.receive(timeout: .seconds(5), untilStatusLine: true).bytes) == 202)
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus(timeout: .seconds(10)) == 0)
        // One info line per stored delivery names its id.
        let log = relay.logText()
        #expect(log.contains("good-1"))
        #expect(!log.contains("cut-1"))
    }

    static let push = Fixture.load("github", "go-scm-push").body
    static let github = ["X-GitHub-Event: push", "X-GitHub-Delivery: hostile"]

    static func signed(_ delivery: String) -> [String] {
        [
            "X-GitHub-Event: push", "X-GitHub-Delivery: \(delivery)",
            "X-Hub-Signature-256: " + HMACSignature.sign(body: Self.push, secret: WebhookSecret("topsecret")),
        ]
    }

    static func chunk(_ size: Int) -> [UInt8] {
        Array((String(size, radix: 16) + "\r\n").utf8) + Array(repeating: UInt8(ascii: "a"), count: size)
            + Array("\r\n".utf8)
    }

    /// The process's peak resident set (`VmHWM`), in bytes.
    static func peakMemory(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
    }
}

/// Raw requests to the listener, each on its own connection.
struct Attack: Sendable {
    let port: Int

    static func request(_ head: String, headers: [String], body: [UInt8] = [], length: Int? = nil) -> [UInt8] {
        var lines = [head + " HTTP/1.1", "Host: x"] + headers
        if !headers.contains(where: { $0.hasPrefix("Content-Length") || $0.hasPrefix("Transfer-Encoding") }) {
            lines.append("Content-Length: \(length ?? body.count)")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    /// The answer's status code, or `nil` when the connection closed (or stayed silent) without one.
    func status(head: String, headers: [String], body: [UInt8] = []) async -> Int? {
        guard let connection = try? RawConnection(port: self.port) else { return nil }
        connection.send(Self.request(head, headers: headers, body: body))
        return RawConnection.status(of: await connection.receive(timeout: .seconds(10), untilStatusLine: true).bytes)
    }

    func status(rawHead: String, rawHeaders: [UInt8], body: [UInt8]) async -> Int? {
        guard let connection = try? RawConnection(port: self.port) else { return nil }
        connection.send(Array("\(rawHead) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n".utf8) + rawHeaders)
        connection.send(Array("\r\n\r\n".utf8) + body)
        return RawConnection.status(of: await connection.receive(timeout: .seconds(10), untilStatusLine: true).bytes)
    }

    /// The status code, or 0 when the listener closed the connection instead of answering.
    func statusOrClosed(head: String, headers: [String], body: [UInt8]) async -> Int? {
        guard let connection = try? RawConnection(port: self.port) else { return nil }
        connection.send(Self.request(head, headers: headers, body: body))
        let answer = await connection.receive(timeout: .seconds(10), untilStatusLine: true)
        return RawConnection.status(of: answer.bytes) ?? (answer.closed ? 0 : nil)
    }

    /// Whether `/healthz` is answered on a new connection within `within`.
    func stillServed(within: Duration = .seconds(5)) async -> Bool {
        await eventually(within: within) {
            guard let connection = try? RawConnection(port: self.port) else { return false }
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = await connection.receive(timeout: .seconds(1), untilStatusLine: true)
            return RawConnection.status(of: answer.bytes) == 200
        }
    }
}
