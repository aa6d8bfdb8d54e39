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

/// The body rate floor (`limits.min_body_bytes_per_second` after `body_grace_seconds`), scaled down: a body
/// dribbled under it is closed within the grace period and one check, long before the read timeout; one
/// sent in pieces above it is taken; signed pushes are answered meanwhile.
@Suite(.timeLimit(.minutes(2)))
struct BodyRateTests {
    @Test func bodiesDribbledUnderTheFloorAreClosedInSecondsAndOthersAreTaken() async throws {
        let setup = try ProcessLifecycleTests.Setup(
            service: """
                limits:
                  max_connections: 8
                  read_timeout_seconds: 30
                  min_body_bytes_per_second: 1024
                  body_grace_seconds: 0.5
                """
        )
        defer { setup.remove() }
        let relay = try setup.start("rate")
        let port = try await relay.port()
        let attack = Attack(port: port)

        // Sixteen dribblers, twice the limit: a full head, then a byte every 300 ms.
        let closedAfter = await withTaskGroup(of: Duration?.self) { group in
            for index in 0..<16 {
                group.addTask {
                    guard let socket = try? RawConnection(port: port, waiting: false) else { return nil }
                    socket.send(
                        Attack.request(
                            "POST /hooks/github",
                            headers: HostileClientTests.signed("dribble-\(index)"),
                            length: HostileClientTests.push.count
                        )
                    )
                    let started = ContinuousClock.now
                    for byte in HostileClientTests.push.prefix(40) {
                        socket.send([byte])
                        if await socket.receive(timeout: .milliseconds(300)).closed {
                            return ContinuousClock.now - started
                        }
                    }
                    return nil
                }
            }
            return await group.reduce(into: [Duration?]()) { $0.append($1) }
        }
        // Each closed once past the grace period, within it and a check or two (the later ones waited for
        // a slot first); never one left to the 30 s read timeout.
        #expect(closedAfter.allSatisfy { $0 != nil }, "\(closedAfter)")
        #expect(closedAfter.compactMap { $0 }.allSatisfy { $0 < .seconds(8) }, "\(closedAfter)")

        // A body sent in pieces above the floor, over more than the grace period, is taken.
        let pieces = await { () -> Int? in
            guard let socket = try? RawConnection(port: port) else { return nil }
            socket.send(
                Attack.request(
                    "POST /hooks/github",
                    headers: HostileClientTests.signed("pieces"),
                    length: HostileClientTests.push.count
                )
            )
            var rest = HostileClientTests.push[...]
            while !rest.isEmpty {
                socket.send(Array(rest.prefix(1500)))
                rest = rest.dropFirst(1500)
                try? await Task.sleep(for: .milliseconds(300))
            }
            return RawConnection.status(of: await socket.receive(timeout: .seconds(10), untilStatusLine: true).bytes)
        }()
        #expect(pieces == 202)
        #expect(
            await attack.status(
                head: "POST /hooks/github",
                headers: HostileClientTests.signed("after"),
                body: HostileClientTests.push
            ) == 202
        )
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus(timeout: .seconds(20)) == 0)
    }
}
