import AsyncHTTPClient
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayTestSupport
import Synchronization
import Testing

/// Statuses posted as a GitHub App: a JWT signed with the app's key finds the installation and is
/// exchanged for its token, which is reused until it is due for renewal. The stand-in checks each JWT
/// against the app's public key and takes posts only with a token it minted.
struct GitHubAppTests {
    /// An app with a fresh key, the key written where the config would name it.
    static func app(installations: [String: Int]) throws -> (file: String, app: GitHostStandIn.App) {
        let (app, pem) = try GitHostStandIn.App.withNewKey(id: "4711", installations: installations)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString).pem").path
        try pem.write(toFile: file, atomically: true, encoding: .utf8)
        return (file, app)
    }

    static func poster(_ url: String, tokens: GitHubAppTokens) -> StatusPoster {
        StatusPoster(
            host: "github.com",
            kind: .github,
            settings: .init(kind: .github, apiURL: url, token: nil, app: .init(id: "4711", privateKeyFile: "")),
            credentials: .app(tokens),
            fallbackURL: "https://ui.example.com",
            exchange: HTTPExchange(client: HTTPClient.shared, peer: "the Git host")
        )
    }

    @Test func postsCarryAnInstallationTokenThatIsReusedUntilItIsDue() async throws {
        let key = try Self.app(installations: ["acme/infra": 9])
        defer { try? FileManager.default.removeItem(atPath: key.file) }
        let host = GitHostStandIn(app: key.app)
        let clock = Mutex(Date())
        try await host.whileRunning { (url: String) async throws -> Void in
            let tokens = try GitHubAppTokens(
                .init(id: "4711", privateKeyFile: key.file),
                apiURL: url,
                exchange: HTTPExchange(client: HTTPClient.shared, peer: "the Git host"),
                now: { clock.withLock { $0 } }
            )
            let poster = Self.poster(url, tokens: tokens)
            // Eight posts at once share one lookup and one exchange.
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for job in 1...8 {
                    group.addTask {
                        try await poster.attempt(
                            StatusPosterTests.item(.terrakube(jobID: "\(job)", state: "running")),
                            logger: StatusPosterTests.logger
                        ).name
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes == Array(repeating: "posted", count: 8))
            #expect(host.requests.count == 8)
            #expect(host.requests.allSatisfy { $0.headers["authorization"] == "Bearer ghs_1" })
            #expect(
                host.appRequests.map(\.target) == [
                    "/repos/acme/infra/installation", "/app/installations/9/access_tokens",
                ]
            )
            #expect(host.appRequests.map(\.method) == ["GET", "POST"])

            // 56 minutes on, the hour-long token is within 5 minutes of expiring: the next post mints
            // another, without looking the installation up again.
            clock.withLock { $0 = $0.addingTimeInterval(56 * 60) }
            let later = try await poster.attempt(
                StatusPosterTests.item(.terrakube(jobID: "9", state: "completed")),
                logger: StatusPosterTests.logger
            )
            #expect(later.name == "posted")
            #expect(host.requests.last?.headers["authorization"] == "Bearer ghs_2")
            #expect(host.appRequests.count == 3)
        }
    }

    /// One post of a running job to `acme/infra`, signed with the key in `keyFile`.
    static func postOnce(_ url: String, keyFile: String) async throws -> WorkOutcome {
        let tokens = try GitHubAppTokens(
            .init(id: "4711", privateKeyFile: keyFile),
            apiURL: url,
            exchange: HTTPExchange(client: HTTPClient.shared, peer: "the Git host")
        )
        return try await Self.poster(url, tokens: tokens).attempt(
            StatusPosterTests.item(.terrakube(jobID: "1", state: "running")),
            logger: StatusPosterTests.logger
        )
    }

    @Test func aRepositoryWithoutTheAppEndsThePostWithGitHubsReason() async throws {
        let key = try Self.app(installations: ["acme/other": 3])
        defer { try? FileManager.default.removeItem(atPath: key.file) }
        let host = GitHostStandIn(app: key.app)
        try await host.whileRunning { (url: String) async throws -> Void in
            let outcome = try await Self.postOnce(url, keyFile: key.file)
            guard case .failed(let status, let error, _) = outcome else {
                Issue.record("not failed: \(outcome)")
                return
            }
            #expect(status == 404)
            #expect(error == "could not find the app's installation on acme/infra: HTTP 404: Not Found")
            #expect(host.requests.isEmpty)
        }
    }

    @Test func aJWTSignedWithAnotherKeyIsRefusedAndNotRetried() async throws {
        let key = try Self.app(installations: ["acme/infra": 9])
        let other = try Self.app(installations: ["acme/infra": 9])
        defer { for file in [key.file, other.file] { try? FileManager.default.removeItem(atPath: file) } }
        // GitHub knows the other key.
        let host = GitHostStandIn(app: other.app)
        try await host.whileRunning { (url: String) async throws -> Void in
            let outcome = try await Self.postOnce(url, keyFile: key.file)
            guard case .failed(401, let error, _) = outcome else {
                Issue.record("not refused: \(outcome)")
                return
            }
            #expect(error.contains("A JSON web token could not be decoded"))
            #expect(!error.contains("eyJ"), "the JWT is not in the reason")
        }
    }
}
