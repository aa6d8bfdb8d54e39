import Foundation
import Logging
import PushRelayCore
import PushRelayStore
import PushRelayTestSupport
import SQLiteNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `serve` process with its SQLite store on a small tmpfs that fills up: webhooks are answered
/// `503`, `/readyz` says so from the first failed write until a write of that size fits again, and
/// everything recovers by itself once space is back. Needs root, to mount the tmpfs.
@Suite(.timeLimit(.minutes(2)), .enabled(if: Tmpfs.available, "needs root to mount a tmpfs"))
struct DiskFullTests {
    @Test func aFullDiskIsAnswered503AndReportedUntilSpaceIsBack() async throws {
        try await Self.withTmpfs { mount in
            let setup = try ProcessLifecycleTests.Setup(store: "sqlite: \"\(mount)/pushrelay.sqlite\"")
            defer { setup.remove() }
            let relay = try setup.start("disk")
            let attack = Attack(port: try await relay.port())
            let push = HostileClientTests.push
            #expect(try await Self.push(attack, delivery: "disk-0") == 202)

            // A filler file takes all the tmpfs has left but 256 KiB: room for a small write, not for a big one.
            let filler = mount + "/filler"
            _ = system("dd if=/dev/zero of='\(filler)' bs=64k 2>/dev/null")
            #expect(system("truncate -s -256K '\(filler)'") == 0)
            // A push with a body of half a MiB: more than the WAL file already holds room for.
            let text = String(decoding: push, as: UTF8.self)
            let big = Array(
                ("{\"padding\":\"" + String(repeating: "x", count: 512 << 10) + "\"," + text.dropFirst()).utf8
            )
            let signed = [
                "X-GitHub-Event: push", "X-GitHub-Delivery: disk-big",
                "X-Hub-Signature-256: " + HMACSignature.sign(body: big, secret: WebhookSecret("topsecret")),
            ]
            #expect(await attack.status(head: "POST /hooks/github", headers: signed, body: big) == 503)
            // From that failure on, not ready: the small write /readyz used to make could still fit.
            for _ in 0..<3 { #expect(await Self.readyz(attack) == 503) }

            try FileManager.default.removeItem(atPath: filler)
            #expect(await eventually(within: .seconds(20)) { await Self.readyz(attack) == 200 })
            // The host's retry of the same delivery is accepted: it was never stored.
            #expect(await attack.status(head: "POST /hooks/github", headers: signed, body: big) == 202)
            relay.signal(SIGTERM)
            #expect(try await relay.exitStatus(timeout: .seconds(20)) == 0)
        }
    }

    /// A job Terrakube has created whose `201` comes once the disk is full (a reader pinning the WAL, so
    /// that the record needs room the disk no longer has), and the process that could not record it.
    struct UnrecordedOutcome {
        let standIn: TerrakubeStandIn
        let setup: ProcessLifecycleTests.Setup
        let relay: RelayProcess
        let mount: String
        let database: String
        let pin: WALPin
    }

    static func withAnOutcomeThatCannotBeWritten(
        _ body: @Sendable (UnrecordedOutcome) async throws -> Void
    ) async throws {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        let answer = Gate()
        standIn.inject(.createThenHold(answer))
        try await standIn.whileRunning { url in
            try await Self.withTmpfs { mount in
                let database = mount + "/pushrelay.sqlite"
                let setup = try ProcessLifecycleTests.Setup(
                    terrakubeURL: url,
                    requestTimeoutSeconds: 30,
                    store: "sqlite: \"\(database)\""
                )
                defer { setup.remove() }
                let relay = try setup.start("first")
                let attack = Attack(port: try await relay.port())
                #expect(try await Self.push(attack, delivery: "outcome-0") == 202)
                // Terrakube has created the job and holds its answer.
                #expect(await eventually(within: .seconds(20)) { standIn.jobs.count == 1 })
                let pin = try await WALPin(database: database)
                try await Self.growWAL(attack)
                try Self.fill(mount)
                answer.open()
                // The 201 came, and its record could not be written.
                let failed = await eventually(within: .seconds(20)) {
                    relay.logLines().contains {
                        $0["msg"] as? String == "Store unavailable to the dispatcher"
                            && ($0["relay.error"] as? String)?.contains("is full") == true
                    }
                }
                #expect(failed, "\(relay.logText().suffix(2000))")
                try await body(
                    UnrecordedOutcome(
                        standIn: standIn,
                        setup: setup,
                        relay: relay,
                        mount: mount,
                        database: database,
                        pin: pin
                    )
                )
            }
        }
    }

    @Test func aJobWhoseOutcomeCannotBeWrittenIsRecordedOnceSpaceIsBack() async throws {
        try await Self.withAnOutcomeThatCannotBeWritten { scene in
            #expect(try await Self.jobs(scene.database).map(\.state) == [.running])
            try FileManager.default.removeItem(atPath: scene.mount + "/filler")
            try await scene.pin.release()
            // Recorded while the process runs, with the id Terrakube gave: no restart, no second job.
            let recorded = try await eventually(within: .seconds(30)) {
                try await Self.jobs(scene.database).map(\.state) == [.done]
            }
            #expect(recorded)
            #expect(try await Self.jobs(scene.database).first?.terrakubeJobID == "1")
            #expect(scene.standIn.jobRequests.count == 1)
            #expect(scene.standIn.jobs.count == 1)
            scene.relay.signal(SIGTERM)
            #expect(try await scene.relay.exitStatus(timeout: .seconds(20)) == 0)
        }
    }

    @Test func aJobLeftUnrecordedAtShutdownIsAdoptedAtTheNextStart() async throws {
        try await Self.withAnOutcomeThatCannotBeWritten { scene in
            // Stopped while the outcome is still unwritten: a graceful stop all the same, and the outcome is
            // lost with the process; the job is left running under the lease the process held.
            scene.relay.signal(SIGTERM)
            #expect(try await scene.relay.exitStatus(timeout: .seconds(20)) == 0)
            #expect(try await Self.jobs(scene.database).map(\.state) == [.running])

            try FileManager.default.removeItem(atPath: scene.mount + "/filler")
            try await scene.pin.release()
            let second = try scene.setup.start("second")
            _ = try await second.port()
            // The job the first process was sending is looked up in Terrakube and adopted, not sent again.
            let adopted = try await eventually(within: .seconds(30)) {
                try await Self.jobs(scene.database).first?.history.last?.outcome == "adopted"
            }
            #expect(adopted, "\(second.logText().suffix(2000))")
            #expect(try await Self.jobs(scene.database).first?.terrakubeJobID == "1")
            #expect(scene.standIn.jobRequests.count == 1)
            #expect(scene.standIn.jobs.count == 1)
            second.signal(SIGTERM)
            #expect(try await second.exitStatus(timeout: .seconds(20)) == 0)
        }
    }

    @Test func startingOnAFullDiskFailsWithTheReasonAndSucceedsOnceSpaceIsBack() async throws {
        try await Self.withTmpfs { mount in
            let setup = try ProcessLifecycleTests.Setup(store: "sqlite: \"\(mount)/pushrelay.sqlite\"")
            defer { setup.remove() }
            let first = try setup.start("first")
            #expect(try await Self.push(Attack(port: try await first.port()), delivery: "start-0") == 202)
            first.signal(SIGTERM)
            #expect(try await first.exitStatus(timeout: .seconds(20)) == 0)

            try Self.fill(mount)
            let refused = try setup.start("refused")
            #expect(try await refused.exitStatus(timeout: .seconds(20)) == 1)
            let said = refused.logText()
            #expect(said.contains("Error: store sqlite \(mount)/pushrelay.sqlite: the disk holding \(mount) is full"))
            #expect(said.contains("Free space on that volume and start serve again"), "\(said)")

            try FileManager.default.removeItem(atPath: mount + "/filler")
            let second = try setup.start("second")
            let attack = Attack(port: try await second.port())
            #expect(await Self.readyz(attack) == 200)
            #expect(try await Self.push(attack, delivery: "start-1") == 202)
            second.signal(SIGTERM)
            #expect(try await second.exitStatus(timeout: .seconds(20)) == 0)
        }
    }

    @Test func aCheckpointThatCannotGrowTheDatabaseHoldsDeliveriesUntilSpaceIsBack() async throws {
        try await Self.withTmpfs { mount in
            let database = mount + "/pushrelay.sqlite"
            let setup = try ProcessLifecycleTests.Setup(store: "sqlite: \"\(database)\"")
            defer { setup.remove() }
            let relay = try setup.start("checkpoint")
            let attack = Attack(port: try await relay.port())
            // Frames written while a reader holds its snapshot cannot be copied into the database until it
            // lets go; by then the disk is full and the database cannot grow to take them.
            let pin = try await WALPin(database: database)
            for _ in 0..<3 { try await Self.growWAL(attack) }
            try Self.fill(mount)
            try await pin.release()
            let blocked = await eventually(within: .seconds(20)) {
                relay.logLines().contains {
                    ($0["msg"] as? String)?.hasPrefix("Store checkpoint failed for lack of space") == true
                }
            }
            #expect(blocked, "\(relay.logText().suffix(2000))")
            // Some space comes back, less than the checkpoint needs: a small delivery would fit, and is
            // refused all the same, since it would take room the checkpoint needs.
            #expect(system("truncate -s -256K '\(mount)/filler'") == 0)
            #expect(try await Self.push(attack, delivery: "checkpoint-0") == 503)
            #expect(await Self.readyz(attack) == 503)

            try FileManager.default.removeItem(atPath: mount + "/filler")
            #expect(await eventually(within: .seconds(20)) { await Self.readyz(attack) == 200 })
            #expect(try await Self.push(attack, delivery: "checkpoint-1") == 202)
            #expect(
                relay.logLines().contains {
                    $0["msg"] as? String == "Store checkpoint succeeded again; deliveries are accepted"
                }
            )
            relay.signal(SIGTERM)
            #expect(try await relay.exitStatus(timeout: .seconds(20)) == 0)
        }
    }

    /// A tmpfs of `megabytes` for the test's store, unmounted afterwards.
    static func withTmpfs(megabytes: Int = 4, _ body: (String) async throws -> Void) async throws {
        let mount = NSTemporaryDirectory() + "pushrelay-disk-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        defer {
            _ = system("umount -l '\(mount)'")
            try? FileManager.default.removeItem(atPath: mount)
        }
        guard system("mount -t tmpfs -o size=\(megabytes)m tmpfs '\(mount)'") == 0 else {
            Issue.record("could not mount a tmpfs at \(mount)")
            return
        }
        try await body(mount)
    }

    /// Takes every byte left on the tmpfs.
    static func fill(_ mount: String) throws {
        _ = system("dd if=/dev/zero of='\(mount)/filler' bs=4k 2>/dev/null")
        var stats = statvfs()
        #expect(statvfs(mount, &stats) == 0 && stats.f_bavail == 0)
    }

    /// A signed push of the fixture for `master` (which the test config routes) under a new delivery id.
    static func push(_ attack: Attack, delivery: String) async throws -> Int? {
        await attack.status(
            head: "POST /hooks/github",
            headers: HostileClientTests.signed(delivery),
            body: HostileClientTests.push
        )
    }

    /// Stores a delivery of 512 KiB that no route takes (its branch is not `master`): with a reader
    /// pinning the WAL, its frames go past the end of the file, so every later write needs new room.
    static func growWAL(_ attack: Attack) async throws {
        let text = String(decoding: HostileClientTests.push, as: UTF8.self)
            .replacingOccurrences(of: "refs/heads/master", with: "refs/heads/padding")
        let body = Array(("{\"padding\":\"" + String(repeating: "x", count: 512 << 10) + "\"," + text.dropFirst()).utf8)
        let headers = [
            "X-GitHub-Event: push", "X-GitHub-Delivery: padding-\(UUID().uuidString)",
            "X-Hub-Signature-256: " + HMACSignature.sign(body: body, secret: WebhookSecret("topsecret")),
        ]
        #expect(await attack.status(head: "POST /hooks/github", headers: headers, body: body) == 200)
    }

    /// The jobs of every delivery in the store, read on a connection of its own.
    static func jobs(_ database: String) async throws -> [WorkRecord] {
        let reader = try await SQLiteDeliveryReader.open(path: database, logger: Logger(label: "test"))
        do {
            var jobs: [WorkRecord] = []
            for delivery in try await reader.recentDeliveries(limit: 100) {
                jobs += try await reader.jobs(provider: delivery.provider, deliveryID: delivery.deliveryID)
            }
            try await reader.close()
            return jobs
        } catch {
            try? await reader.close()
            throw error
        }
    }

    static func readyz(_ attack: Attack) async -> Int? {
        await attack.status(head: "GET /readyz", headers: [], body: [])
    }
}

/// A read transaction held open on the database, as a long `deliveries list` would hold one: while it
/// lasts, the WAL cannot start over from its beginning, and checkpoints stop at its snapshot.
struct WALPin {
    let connection: SQLiteConnection

    init(database: String) async throws {
        self.connection = try await SQLiteConnection.open(storage: .file(path: database), logger: Logger(label: "pin"))
        _ = try await self.connection.query("BEGIN")
        _ = try await self.connection.query("SELECT count(*) FROM deliveries")
    }

    func release() async throws {
        _ = try await self.connection.query("COMMIT")
        try await self.connection.close()
    }
}

/// Whether this machine lets the tests mount a tmpfs (root, and a kernel and container that allow it).
enum Tmpfs {
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "pushrelay-tmpfs-probe-" + UUID().uuidString
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil
        else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard system("mount -t tmpfs -o size=1m tmpfs '\(probe)' 2>/dev/null") == 0 else { return false }
        return system("umount '\(probe)'") == 0
    }()

}
