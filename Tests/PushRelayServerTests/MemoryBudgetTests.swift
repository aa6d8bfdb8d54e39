import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bodies held open at their last byte, far more than `limits.max_buffered_bytes` allows, against the real
/// `serve` process: its memory stays under the budget plus a fixed margin, the bodies past the budget are
/// refused with `503` and `Retry-After`, and a signed push sent meanwhile is accepted.
@Suite(.timeLimit(.minutes(2)))
struct MemoryBudgetTests {
    static let bodyLimit = 2 << 20
    static let budget = 16 << 20
    static let attackers = 32

    @Test func bodiesPastTheBudgetAreRefusedAndMemoryStaysBounded() async throws {
        let setup = try ProcessLifecycleTests.Setup(
            service: """
                limits:
                  max_body_bytes: \(Self.bodyLimit)
                  max_buffered_bytes: \(Self.budget)
                  max_connections: 128
                  read_timeout_seconds: 15
                """
        )
        defer { setup.remove() }
        let relay = try setup.start("budget")
        let port = try await relay.port()
        let attack = Attack(port: port)
        // Warm: the first push loads what every later one uses (the store, the routes).
        let push = HostileClientTests.push
        #expect(
            await attack.status(head: "POST /hooks/github", headers: HostileClientTests.signed("warm-1"), body: push)
                == 202
        )
        let baseline = try #require(Self.residentMemory(pid: relay.pid))

        // Each sends all of a body at the limit but its last byte, and holds the connection open.
        let body = Array(repeating: UInt8(ascii: " "), count: Self.bodyLimit - 1)
        var held: [RawConnection] = []
        for _ in 0..<Self.attackers {
            let connection = try RawConnection(port: port)
            connection.send(
                Attack.request(
                    "POST /hooks/github",
                    headers: HostileClientTests.github + ["Content-Length: \(Self.bodyLimit)"]
                ) + body
            )
            held.append(connection)
        }
        // The refused ones are counted as they are answered.
        #expect(
            try await eventually(within: .seconds(30)) {
                try await Self.refusedOverBudget(port: port) >= Self.attackers - Self.budget / (Self.bodyLimit * 2)
            }
        )
        // A body refused midway ends its connection: its sender's remaining bytes are not read and dropped
        // until the read timeout.
        var closed = 0
        for connection in held where await connection.receive(timeout: .seconds(2)).closed { closed += 1 }
        #expect(closed >= Self.attackers - Self.budget / (Self.bodyLimit * 2), "\(closed) closed")
        // Meanwhile an ordinary delivery still has its share of the budget.
        #expect(
            await attack.status(head: "POST /hooks/github", headers: HostileClientTests.signed("good-1"), body: push)
                == 202
        )
        let peak = try #require(HostileClientTests.peakMemory(pid: relay.pid))
        let margin = 24 << 20
        #expect(
            peak < baseline + Self.budget + margin,
            "peak RSS \(peak >> 20) MiB, baseline \(baseline >> 20) MiB, budget \(Self.budget >> 20) MiB"
        )
        for connection in held { connection.disconnect() }
        // Requests still in progress are finished (or cut at the read timeout) before the process exits.
        relay.signal(SIGTERM)
        let status = try await relay.exitStatus(timeout: .seconds(45))
        #expect(status == 0, "\(relay.logText().suffix(3000))")
    }

    @Test func aBudgetTooSmallForTheBodyLimitIsAConfigProblem() async throws {
        let setup = try ProcessLifecycleTests.Setup(
            service: """
                limits:
                  max_body_bytes: \(8 << 20)
                  max_buffered_bytes: \(16 << 20)
                """
        )
        defer { setup.remove() }
        let check = try await RelayProcess.run(["check", "--config", setup.directory], environment: setup.environment)
        #expect(check.status != 0)
        let least = ServiceSettings.Limits.leastBufferedBytes(forBodyLimit: 8 << 20)
        #expect(check.stdout.contains("pushrelay.yaml:"), "\(check.stdout)")
        #expect(check.stdout.contains("must be at least \(least)"), "\(check.stdout)")
    }

    /// `503` answers counted by the process, read from `/metrics`.
    static func refusedOverBudget(port: Int) async throws -> Int {
        let connection = try RawConnection(port: port)
        connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let text = String(decoding: await connection.receive(timeout: .seconds(5)).bytes, as: UTF8.self)
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("pushrelay_deliveries_total") && $0.contains(#"status="503""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
            .reduce(0, +)
    }

    /// The process's resident set now (`VmRSS`), in bytes.
    static func residentMemory(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
    }
}
