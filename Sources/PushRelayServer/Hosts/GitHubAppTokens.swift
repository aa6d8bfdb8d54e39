import Foundation
import JWTKit
import PushRelayCore

/// Installation tokens of one GitHub App. A JWT signed with the app's key (RS256) finds the installation
/// that holds a repository and is exchanged for that installation's token, which every post for its
/// repositories reuses until shortly before it expires. Concurrent posts share one exchange.
package actor GitHubAppTokens {
    /// Why no token: `retry` when asking again later may work (GitHub unreachable, a `5xx`, a rate
    /// limit), else the post ends with the reason (an app not installed on the repository, a key GitHub
    /// does not know).
    package struct Failure: Error, CustomStringConvertible {
        package var status: Int?
        package var reason: String
        package var retry: Bool
        package var after: Duration?

        package var description: String { self.reason }
    }

    private struct Minted {
        var token: APIToken
        var renewAt: Date
    }

    private let appID: String
    private let apiURL: String
    private let exchange: HTTPExchange
    private let key: Insecure.RSA.PrivateKey
    private var keys: JWTKeyCollection?
    private let now: @Sendable () -> Date
    private var installations: [String: Task<Int, any Error>] = [:]
    private var tokens: [Int: Task<Minted, any Error>] = [:]

    /// Reads the key from `app.privateKeyFile`, throwing when it is not an RSA key of 2048 bits or more.
    package init(
        _ app: GitHubAppSettings,
        apiURL: String,
        exchange: HTTPExchange,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.key = try Insecure.RSA.PrivateKey(pem: String(contentsOfFile: app.privateKeyFile, encoding: .utf8))
        self.appID = app.id
        self.apiURL = apiURL
        self.exchange = exchange
        self.now = now
    }

    /// The token to post to `repository` (`owner/repo`) with.
    package func token(for repository: String) async throws -> APIToken {
        let installation = try await self.installation(of: repository)
        let task: Task<Minted, any Error>
        let fresh = self.tokens[installation] == nil
        if let pending = self.tokens[installation] {
            task = pending
        } else {
            task = Task { try await self.mint(installation) }
            self.tokens[installation] = task
        }
        do {
            let minted = try await task.value
            // A token minted for this call is used even if GitHub gave less than `renewBefore`.
            if fresh || minted.renewAt > self.now() { return minted.token }
            // Due for renewal: the first caller to see it starts the next exchange.
            if self.tokens[installation] == task { self.tokens[installation] = nil }
            return try await self.token(for: repository)
        } catch {
            if self.tokens[installation] == task { self.tokens[installation] = nil }
            // The app was uninstalled and perhaps installed again: look the installation up anew.
            if let failure = error as? Failure, failure.status == 404 { self.installations[repository] = nil }
            throw error
        }
    }

    /// Forgets the token a post was refused with (`401`: revoked, or the app's key was rotated), so that
    /// the next post mints another.
    package func refused(_ token: APIToken, for repository: String) async {
        guard let installation = try? await self.installations[repository]?.value, let task = self.tokens[installation],
            (try? await task.value.token) == token, self.tokens[installation] == task
        else { return }
        self.tokens[installation] = nil
    }

    private func installation(of repository: String) async throws -> Int {
        let task: Task<Int, any Error>
        if let known = self.installations[repository] {
            task = known
        } else {
            task = Task { try await self.lookUp(repository) }
            self.installations[repository] = task
        }
        do {
            return try await task.value
        } catch {
            if self.installations[repository] == task { self.installations[repository] = nil }
            throw error
        }
    }

    private func lookUp(_ repository: String) async throws -> Int {
        let answer = try await self.call(
            GitHubApp.installationRequest(repository: repository, apiURL: self.apiURL, jwt: try await self.jwt()),
            what: "find the app's installation on \(repository)"
        )
        guard let id = GitHubApp.installation(in: answer.body) else {
            throw Failure(status: answer.status, reason: "GitHub's installation answer has no id", retry: true)
        }
        return id
    }

    private func mint(_ installation: Int) async throws -> Minted {
        let answer = try await self.call(
            GitHubApp.tokenRequest(installation: installation, apiURL: self.apiURL, jwt: try await self.jwt()),
            what: "mint a token for installation \(installation)"
        )
        guard let (token, expires) = GitHubApp.token(in: answer.body) else {
            throw Failure(status: answer.status, reason: "GitHub's token answer has no token", retry: true)
        }
        return Minted(token: token, renewAt: expires.addingTimeInterval(-GitHubApp.renewBefore))
    }

    private func call(_ request: StatusRequest, what: String) async throws -> HTTPExchange.Answer {
        let answer: HTTPExchange.Answer
        do {
            answer = try await self.exchange.send(request)
        } catch {
            throw Failure(status: nil, reason: "could not \(what): \(error)", retry: true)
        }
        switch answer.verdict(.github) {
        case .posted:
            return answer
        case .retry(let after, let reason):
            throw Failure(status: answer.status, reason: "could not \(what): \(reason)", retry: true, after: after)
        case .refused(let reason):
            throw Failure(status: answer.status, reason: "could not \(what): \(reason)", retry: false)
        }
    }

    /// A JWT for the App's own calls (its hook's deliveries).
    package func appJWT() async throws -> String { try await self.jwt() }

    private func jwt() async throws -> String {
        let now = self.now()
        let claims = GitHubAppClaims(
            iat: IssuedAtClaim(value: now.addingTimeInterval(-GitHubApp.jwtBackdate)),
            exp: ExpirationClaim(value: now.addingTimeInterval(GitHubApp.jwtLifetime)),
            iss: IssuerClaim(value: self.appID)
        )
        let keys: JWTKeyCollection
        if let known = self.keys {
            keys = known
        } else {
            keys = await JWTKeyCollection().add(rsa: self.key, digestAlgorithm: .sha256)
            self.keys = keys
        }
        return try await keys.sign(claims)
    }
}

/// The claims GitHub reads from an app's JWT.
struct GitHubAppClaims: JWTPayload {
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var iss: IssuerClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try self.exp.verifyNotExpired()
    }
}
