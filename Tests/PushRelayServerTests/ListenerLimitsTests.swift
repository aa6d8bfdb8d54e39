import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

/// The `limits` section on the real listener: read timeout, header size, connection count.
@Suite(.timeLimit(.minutes(2)))
struct ListenerLimitsTests {
    static func port(_ relay: RelayHarness) -> Int {
        Int(relay.baseURL.split(separator: ":").last!)!
    }

    /// A body that never finishes is cut off at the read timeout; other clients are served meanwhile.
    @Test func unfinishedBodyIsClosedAtTheReadTimeout() async throws {
        try await RelayHarness.run(service: "limits:\n  read_timeout_seconds: 0.5") { relay in
            let connection = try RawConnection(port: Self.port(relay))
            connection.send(
                "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Length: 5000\r\n\r\n{\"ref\":"
            )
            #expect(try await relay.get("/healthz").status == 200)
            let start = ContinuousClock.now
            let (_, closed) = await connection.receive(timeout: .seconds(10))
            #expect(closed)
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(try await relay.get("/healthz").status == 200)
        }
    }

    /// Headers beyond `max_header_bytes` are refused, never served.
    @Test func oversizedHeadersAreRefused() async throws {
        try await RelayHarness.run(service: "limits:\n  max_header_bytes: 4096") { relay in
            let connection = try RawConnection(port: Self.port(relay))
            let padding = String(repeating: "a", count: 8192)
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: \(padding)\r\n\r\n")
            let (bytes, closed) = await connection.receive(timeout: .seconds(5), untilStatusLine: true)
            let status = RawConnection.status(of: bytes)
            // The HTTP parser's refusal: 400 (or 431), or the connection closed; never served.
            #expect(
                [400, 431].contains(status) || (status == nil && closed),
                "\(String(decoding: bytes, as: UTF8.self))"
            )

            let fine = try RawConnection(port: Self.port(relay))
            fine.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: \(padding.prefix(1024))\r\n\r\n")
            #expect(
                RawConnection.status(of: await fine.receive(timeout: .seconds(5), untilStatusLine: true).bytes) == 200
            )
        }
    }

    /// At `max_connections`, a further client waits until one of the others leaves. The two others are
    /// busy sending a body well above the body-rate floor, so that neither is shed to make room: an idle one
    /// would be, were it idle for half a second when a connection comes (a slow test machine).
    @Test func connectionsBeyondTheLimitWait() async throws {
        try await RelayHarness.run(service: "limits:\n  max_connections: 2") { relay in
            let port = Self.port(relay)
            var busy: [RawConnection] = []
            for _ in 0..<2 {
                let connection = try RawConnection(port: port)
                // Pipelined: the upload's head is read as soon as the answer is written, so the connection
                // is never seen waiting for a request.
                connection.send(
                    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
                        + "X-Hub-Signature-256: sha256=00\r\nContent-Length: 100000\r\n\r\n{\"ref\":\""
                        + String(repeating: "a", count: 8192)
                )
                #expect(
                    RawConnection.status(
                        of: await connection.receive(timeout: .seconds(5), untilStatusLine: true).bytes
                    ) == 200
                )
                busy.append(connection)
            }
            let third = try RawConnection(port: port)
            third.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(RawConnection.status(of: await third.receive(timeout: .milliseconds(300)).bytes) == nil)
            busy[0].disconnect()
            #expect(
                RawConnection.status(of: await third.receive(timeout: .seconds(5), untilStatusLine: true).bytes) == 200
            )
        }
    }
}
