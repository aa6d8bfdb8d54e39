import Foundation
import PushRelayCore
import PushRelayTestSupport
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
        let mount = NSTemporaryDirectory() + "pushrelay-disk-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        #expect(system("mount -t tmpfs -o size=4m tmpfs '\(mount)'") == 0)
        defer {
            _ = system("umount -l '\(mount)'")
            try? FileManager.default.removeItem(atPath: mount)
        }
        let setup = try ProcessLifecycleTests.Setup(store: "sqlite: \"\(mount)/pushrelay.sqlite\"")
        defer { setup.remove() }
        let relay = try setup.start("disk")
        let attack = Attack(port: try await relay.port())
        let push = HostileClientTests.push
        #expect(
            await attack.status(head: "POST /hooks/github", headers: HostileClientTests.signed("disk-0"), body: push)
                == 202
        )

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

    static func readyz(_ attack: Attack) async -> Int? {
        await attack.status(head: "GET /readyz", headers: [], body: [])
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
