import Foundation

/// GitHub's webhook deliveries: a repository's hooks (`GET /repos/{o}/{r}/hooks`), their deliveries
/// (`…/hooks/{id}/deliveries`) and a redelivery (`POST …/deliveries/{id}/attempts`); a GitHub App's one hook
/// under `/app/hook/…`, called with the App's JWT.
package enum GitHubHookDeliveries {
    static func hooksRequest(repository: String, apiURL: String, token: APIToken) -> StatusRequest {
        StatusRequest(get: "\(apiURL)/repos/\(repository)/hooks?per_page=100", headers: GitHubStatus.headers(token))
    }

    /// `GET /app/hook/config`: the App's hook URL, which says whether its deliveries are PushRelay's.
    package static func appHookRequest(apiURL: String, jwt: String) -> StatusRequest {
        StatusRequest(get: "\(apiURL)/app/hook/config", headers: GitHubStatus.headers(bearer: jwt))
    }

    /// The `url` of `GET /app/hook/config`'s answer.
    package static func appHookURL(in body: [UInt8]) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["url"] as? String
    }

    /// The headers of the App's own calls.
    package static func appHeaders(jwt: String) -> [(name: String, value: String)] {
        GitHubStatus.headers(bearer: jwt)
    }

    static func attemptsRequest(
        _ scope: Redelivery.Scope,
        apiURL: String,
        headers: [(name: String, value: String)]
    ) -> StatusRequest {
        StatusRequest(get: "\(Self.root(scope, apiURL: apiURL))/deliveries?per_page=100", headers: headers)
    }

    /// Each delivery: `id`, `guid` (the event), `status_code` (`0` when no answer came), `delivered_at`.
    static func attempts(_ list: [[String: Any]]) -> [Redelivery.Attempt]? {
        var attempts: [Redelivery.Attempt] = []
        for item in list {
            guard let id = item["id"] as? Int, let guid = item["guid"] as? String else { return nil }
            let code = item["status_code"] as? Int
            attempts.append(
                Redelivery.Attempt(
                    id: id,
                    event: guid,
                    status: code == 0 ? nil : code,
                    at: (item["delivered_at"] as? String).flatMap { try? Date.ISO8601FormatStyle().parse($0) }
                )
            )
        }
        return attempts
    }

    static func resendRequest(
        _ scope: Redelivery.Scope,
        attempt: Int,
        apiURL: String,
        headers: [(name: String, value: String)]
    ) -> StatusRequest {
        StatusRequest(
            url: "\(Self.root(scope, apiURL: apiURL))/deliveries/\(attempt)/attempts",
            headers: headers,
            json: [:]
        )
    }

    private static func root(_ scope: Redelivery.Scope, apiURL: String) -> String {
        switch scope {
        case .repository(let repository, let hook): "\(apiURL)/repos/\(repository)/hooks/\(hook)"
        case .app: "\(apiURL)/app/hook"
        }
    }
}
