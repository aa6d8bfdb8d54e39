import Foundation
import PushRelayCore
import PushRelayTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Slow clients at the connection limit cannot take the real `serve` process off the air: heads dribbled a
/// byte a second, ten times as many sockets as it may hold, while signed pushes keep arriving.
@Suite(.timeLimit(.minutes(2)))
struct SlowClientTests {
    static let connectionLimit = 32

    @Test func signedPushesAreAnsweredWhileDribblersFloodTheConnectionLimit() async throws {
        let setup = try ProcessLifecycleTests.Setup(
            service: """
                limits:
                  max_connections: \(Self.connectionLimit)
                  head_timeout_seconds: 2
                  idle_timeout_seconds: 30
                  read_timeout_seconds: 10
                """
        )
        defer { setup.remove() }
        let relay = try setup.start("slow")
        let port = try await relay.port()
        let attack = Attack(port: port)

        // Twenty new sockets a second, each dribbling a head a byte a second: up to 300, against 32 slots.
        let stop = Atomic(false)
        let opened = Atomic(0)
        let flood = Task.detached {
            var sockets: [RawConnection] = []
            var rounds = 0
            while !stop.load(ordering: .relaxed) {
                for _ in 0..<4 {
                    if let socket = try? RawConnection(port: port, waiting: false) {
                        sockets.append(socket)
                        opened.add(1, ordering: .relaxed)
                    }
                }
                rounds += 1
                if rounds % 5 == 0 { for socket in sockets { socket.send("P") } }
                try? await Task.sleep(for: .milliseconds(200))
            }
            return sockets.count
        }
        // The flood holds every slot, and has as many sockets again waiting, before the first push.
        #expect(await eventually(within: .seconds(20)) { opened.load(ordering: .relaxed) >= Self.connectionLimit * 2 })

        // Forty signed pushes, one every 250 ms, each on its own connection, each given GitHub's 10 s.
        let answered = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(250 * index))
                    let started = ContinuousClock.now
                    let status = await attack.status(
                        head: "POST /hooks/github",
                        headers: HostileClientTests.signed("slow-\(index)"),
                        body: HostileClientTests.push
                    )
                    return status == 202 && ContinuousClock.now - started < .seconds(10)
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        stop.store(true, ordering: .relaxed)
        let attackers = await flood.value
        #expect(attackers > Self.connectionLimit * 3)
        #expect(answered >= 38, "\(answered) of 40 signed pushes answered 202 within 10 s")
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus(timeout: .seconds(20)) == 0)
    }
}
