import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

/// `pushrelay replay --to` as an operator runs it: the real binary, deliveries exported from one running
/// listener's store and sent to another (or to the same one, to see dedupe).
@Suite(.timeLimit(.minutes(3)))
struct ReplayRoundTripTests {
    /// A GitHub and a GitLab delivery accepted by `serve`, exported, replayed into a second listener.
    @Test func exportedDeliveriesMakeTheSameJobsOnAnotherListener() async throws {
        let folder = NSTemporaryDirectory() + "pushrelay-replay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await RelayHarness.run { first in
            let github = Fixture.load("github", "go-scm-push").body
            let gitlab = Fixture.load("gitlab", "gitlab-docs-push-hook").body
            #expect(
                try await first.post(
                    "/hooks/github",
                    headers: RelayHarness.github(github, delivery: "rt-1"),
                    body: github
                )
                .status == 202
            )
            #expect(
                try await first.post("/hooks/gitlab", headers: RelayHarness.gitlab(gitlab, uuid: "rt-2"), body: gitlab)
                    .status == 202
            )
            #expect(await eventually { first.standIn.createdJobs.count == 2 })
            for id in ["rt-1", "rt-2"] {
                let export = try await RelayProcess.run([
                    "deliveries", "export", id, "--config", first.directory, "--output", "\(folder)/\(id).json",
                ])
                #expect(export.status == 0, "\(export.stderr)")
            }
            let sentFirst = Set(first.standIn.requests.map { String(decoding: $0.body, as: UTF8.self) })

            try await RelayHarness.run { second in
                let replay = try await RelayProcess.run(
                    ["replay", "--config", first.directory, "--to", second.baseURL, folder],
                    environment: RelayHarness.environment
                )
                #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
                #expect(replay.stdout.components(separatedBy: "202 queued, 1 job").count == 3, "\(replay.stdout)")
                #expect(replay.stdout.contains("sent: 2 202 queued; unreadable files: 0"))
                #expect(await eventually { second.standIn.createdJobs.count == 2 })
                // The same two Terrakube requests, byte for byte.
                #expect(Set(second.standIn.requests.map { String(decoding: $0.body, as: UTF8.self) }) == sentFirst)
            }

            let again = try await RelayProcess.run(
                ["replay", "--config", first.directory, "--to", first.baseURL, "--keep-delivery-id", "--json", folder],
                environment: RelayHarness.environment
            )
            #expect(again.status == 0, "\(again.stderr)")
            let answers = again.stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
            #expect(answers.count == 2)
            #expect(answers.allSatisfy { $0["http_status"] as? Int == 200 && $0["status"] as? String == "duplicate" })
            #expect(Set(answers.compactMap { $0["delivery"] as? String }) == ["rt-1", "rt-2"])
            #expect(first.standIn.requests.count == 2)
        }
    }

    /// Unreadable files are each named, the readable ones are still sent, and the run exits 1; a listener
    /// that refuses the signature (another secret) makes it exit 1 too, saying which file.
    @Test func badFilesAndRefusedAnswersAreNamedAndFailTheRun() async throws {
        let folder = NSTemporaryDirectory() + "pushrelay-replay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let saved = Self.savedPush("saved-1")
        try Data(saved.encoded()).write(to: URL(fileURLWithPath: folder + "/good.json"))
        try Data("not json at all".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        try Data(saved.encoded().prefix(80)).write(to: URL(fileURLWithPath: folder + "/truncated.json"))
        try Data(Self.push).write(to: URL(fileURLWithPath: folder + "/bare.json"))

        try await RelayHarness.run { relay in
            let run = try await RelayProcess.run(
                ["replay", "--config", relay.directory, "--to", relay.baseURL, folder],
                environment: RelayHarness.environment
            )
            #expect(run.status == 1)
            #expect(run.stdout.contains("good.json: 202 queued"), "\(run.stdout)")
            #expect(run.stderr.contains("notes.txt: not a JSON object"))
            #expect(run.stderr.contains("truncated.json: not a JSON object"))
            #expect(run.stderr.contains("bare.json: cannot tell the provider"))
            #expect(run.stderr.contains("3 unreadable"))
            #expect(await eventually { relay.standIn.createdJobs.count == 1 })

            var wrongSecret = RelayHarness.environment
            wrongSecret["GH_SECRET"] = "not-the-listeners-secret"
            let refused = try await RelayProcess.run(
                ["replay", "--config", relay.directory, "--to", relay.baseURL, "--quiet", folder + "/good.json"],
                environment: wrongSecret
            )
            #expect(refused.status == 1)
            #expect(refused.stdout.contains("good.json: 401 error: X-Hub-Signature-256 does not verify"))
            #expect(refused.stderr.contains("1 not answered 2xx: \(folder)/good.json (401 error)"))

            let dryRun = try await RelayProcess.run(
                ["replay", "--config", relay.directory, folder],
                environment: RelayHarness.environment
            )
            #expect(dryRun.status == 1)
            #expect(dryRun.stdout.contains("refs/heads/master: queue"))
            #expect(dryRun.stdout.contains("replayed: 1 queue; unreadable files: 3"))
        }
    }

    static let push = Fixture.load("github", "go-scm-push").body

    /// A GitHub push as `deliveries export` writes it: no signature (the replay signs it).
    static func savedPush(_ delivery: String) -> SavedDelivery {
        SavedDelivery(
            provider: "github",
            receivedAt: Date(),
            headers: ["X-GitHub-Event": "push", "X-GitHub-Delivery": delivery],
            body: Self.push
        )
    }

    /// A dry run shows names as `name:<name>`; `--online` resolves them through Terrakube as `serve` does.
    @Test func onlineDryRunResolvesNames() async throws {
        let standIn = NameResolutionTests.standIn()
        try await standIn.whileRunning { url in
            let (_, directory) = try NameResolutionTests.config(
                url,
                repos: ["infra.yaml": NameResolutionTests.repository]
            )
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let body = Array(
                #"{"ref":"refs/heads/main","after":"1111111111111111111111111111111111111111","repository":{"full_name":"acme/infra","html_url":"https://github.com/acme/infra","clone_url":"https://github.com/acme/infra.git"},"commits":[]}"#
                    .utf8
            )
            try Data(body).write(to: URL(fileURLWithPath: directory + "/push.json"))
            let arguments = ["replay", "--config", directory, "--provider", "github", "--event", "push", "--json"]
            let offline = try await RelayProcess.run(
                arguments + [directory + "/push.json"],
                environment: RelayHarness.environment
            )
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(offline.stdout.contains(#""workspace":"name:prod""#), "\(offline.stdout)")
            #expect(standIn.requests.isEmpty)

            let online = try await RelayProcess.run(
                arguments + ["--online", directory + "/push.json"],
                environment: RelayHarness.environment
            )
            #expect(online.status == 0, "\(online.stderr)")
            #expect(online.stdout.contains(#""organization":"org-acme","workspace":"ws-prod","template":"tpl-apply""#))
            #expect(!standIn.requests.isEmpty)
        }
    }

    /// `--rate` spaces the sends out: five deliveries at 10 per second take at least 0.4 s.
    @Test func rateSpacesTheSends() async throws {
        let folder = NSTemporaryDirectory() + "pushrelay-replay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for index in 0..<5 {
            try Data(Self.savedPush("rate-\(index)").encoded()).write(
                to: URL(fileURLWithPath: folder + "/\(index).json")
            )
        }
        try await RelayHarness.run { relay in
            let start = ContinuousClock.now
            let run = try await RelayProcess.run(
                [
                    "replay", "--config", relay.directory, "--to", relay.baseURL, "--rate", "10", "--concurrency", "5",
                    folder,
                ],
                environment: RelayHarness.environment
            )
            let elapsed = ContinuousClock.now - start
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("sent: 5 202 queued"))
            #expect(elapsed >= .milliseconds(400))
        }
    }
}
