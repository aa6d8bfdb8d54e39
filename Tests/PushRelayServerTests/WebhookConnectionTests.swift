import Foundation
import PushRelayCore
import PushRelayTestSupport
import Testing

/// Webhooks are answered on the connection, beside the router's requests, against the real `serve`
/// process: pipelined requests of both kinds get their answers in the order they came.
@Suite(.timeLimit(.minutes(1)))
struct WebhookConnectionTests {
    @Test func pipelinedWebhooksAndRouterRequestsAreAnsweredInOrder() async throws {
        let setup = try ProcessLifecycleTests.Setup()
        defer { setup.remove() }
        let relay = try setup.start("pipelined")
        let port = try await relay.port()
        let get = { (path: String) in Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8) }
        let push = HostileClientTests.push
        let connection = try RawConnection(port: port)
        connection.send(
            get("/healthz")
                + Attack.request("POST /hooks/github", headers: HostileClientTests.signed("pipelined-1"), body: push)
                + get("/nope")
                + Attack.request("POST /hooks/github", headers: HostileClientTests.github, body: push)
                + Attack.request("POST /hooks/nope", headers: HostileClientTests.github, body: push)
                + get("/healthz")
                + Attack.request("POST /hooks/github", headers: HostileClientTests.signed("pipelined-2"), body: push)
        )
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while Self.statusLines(received).count < 7, ContinuousClock.now < deadline {
            let (bytes, closed) = await connection.receive(timeout: .milliseconds(100))
            received += bytes
            if closed { break }
        }
        #expect(Self.statusLines(received) == [200, 202, 404, 401, 404, 200, 202])
        // A webhook's answer carries what the router's answers do.
        let text = String(decoding: received, as: UTF8.self).lowercased()
        #expect(text.components(separatedBy: "server: pushrelay").count == 8)
        #expect(text.components(separatedBy: "\r\ndate: ").count == 8)

        // The connection is still open for more.
        connection.send(get("/healthz"))
        let more = await connection.receive(timeout: .seconds(5), untilStatusLine: true)
        #expect(RawConnection.status(of: more.bytes) == 200)

        // A webhook that takes long to verify (2 MB to hash and read) is not overtaken by the router's quick
        // answer to the request behind it.
        let slow = Array(repeating: UInt8(ascii: " "), count: 2 << 20) + push
        let signature = HMACSignature.sign(body: slow, secret: WebhookSecret("topsecret"))
        let headers = HostileClientTests.github + ["X-Hub-Signature-256: \(signature)"]
        let second = try RawConnection(port: port)
        second.send(Attack.request("POST /hooks/github", headers: headers, body: slow) + get("/nope"))
        #expect(await Self.statuses(second, count: 2) == [202, 404])

        // A webhook refused at its head is answered at once, on the event loop, while the router's answer to
        // the request before it takes a trip through the router's task: it waits for that answer all the same.
        let third = try RawConnection(port: port)
        third.send(
            get("/healthz") + Attack.request("POST /hooks/nope", headers: HostileClientTests.github, body: push)
                + get("/healthz")
        )
        #expect(await Self.statuses(third, count: 3) == [200, 404, 200])
    }

    /// The status codes of the first `count` responses on `connection`, in order (fewer if it closes or 20
    /// seconds pass).
    static func statuses(_ connection: RawConnection, count: Int) async -> [Int] {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while Self.statusLines(received).count < count, ContinuousClock.now < deadline {
            let (bytes, closed) = await connection.receive(timeout: .milliseconds(100))
            received += bytes
            if closed { break }
        }
        return Self.statusLines(received)
    }

    /// The status codes of the responses in `bytes`, in order.
    static func statusLines(_ bytes: [UInt8]) -> [Int] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap {
            Int($0.prefix(3))
        }
    }
}
