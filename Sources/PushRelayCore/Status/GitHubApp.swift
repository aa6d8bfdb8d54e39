import Foundation

/// What a GitHub App needs from GitHub's API to post as one of its installations: the installation that
/// holds a repository, and that installation's token. The JWT both calls carry is signed by the server.
package enum GitHubApp {
    /// GitHub refuses a JWT that lives longer than 10 minutes, and one issued "in the future" by a
    /// clock a little ahead of its own: issued a minute back, expiring 9 minutes on.
    package static let jwtBackdate: TimeInterval = 60
    package static let jwtLifetime: TimeInterval = 9 * 60
    /// An installation token lasts an hour; it is replaced this long before it expires, so that no post
    /// goes out with a token that expires on the way.
    package static let renewBefore: TimeInterval = 5 * 60

    /// `GET {api}/repos/{owner}/{repo}/installation`.
    package static func installationRequest(repository: String, apiURL: String, jwt: String) -> StatusRequest {
        StatusRequest(get: "\(apiURL)/repos/\(repository)/installation", headers: GitHubStatus.headers(bearer: jwt))
    }

    /// `POST {api}/app/installations/{id}/access_tokens`.
    package static func tokenRequest(installation: Int, apiURL: String, jwt: String) -> StatusRequest {
        StatusRequest(
            url: "\(apiURL)/app/installations/\(installation)/access_tokens",
            headers: GitHubStatus.headers(bearer: jwt),
            json: [:]
        )
    }

    /// The `id` of `GET …/installation`'s answer.
    package static func installation(in body: [UInt8]) -> Int? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["id"] as? Int
    }

    /// The `token` and `expires_at` of `POST …/access_tokens`'s answer.
    package static func token(in body: [UInt8]) -> (token: APIToken, expiresAt: Date)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let token = object["token"] as? String, !token.isEmpty,
            let expires = (object["expires_at"] as? String).flatMap({ try? Date.ISO8601FormatStyle().parse($0) })
        else { return nil }
        return (APIToken(token), expires)
    }
}
