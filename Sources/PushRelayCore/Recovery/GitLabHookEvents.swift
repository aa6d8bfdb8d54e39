import Foundation

/// GitLab's webhook events (GitLab 17.4 and later): a project's hooks (`GET /projects/{id}/hooks`), the last
/// seven days of a hook's events (`…/hooks/{id}/events`) and a resend (`POST …/events/{id}/resend`).
enum GitLabHookEvents {
    static func hooksRequest(repository: String, apiURL: String, token: APIToken) -> StatusRequest {
        StatusRequest(
            get: "\(Self.root(repository, apiURL: apiURL))/hooks?per_page=100",
            headers: GitLabStatus.headers(token)
        )
    }

    static func attemptsRequest(
        repository: String,
        hook: Int,
        apiURL: String,
        headers: [(name: String, value: String)]
    ) -> StatusRequest {
        StatusRequest(
            get: "\(Self.root(repository, apiURL: apiURL))/hooks/\(hook)/events?per_page=100",
            headers: headers
        )
    }

    /// Each event: `id`, the `Idempotency-Key` it was sent with (which a resend keeps; older GitLabs send
    /// none, and each event then stands alone), and `response_status`, a number or words such as
    /// `internal error` when no answer came.
    static func attempts(_ list: [[String: Any]]) -> [Redelivery.Attempt]? {
        var attempts: [Redelivery.Attempt] = []
        for item in list {
            guard let id = item["id"] as? Int else { return nil }
            let headers = (item["request_headers"] as? [String: Any]) ?? [:]
            let key = headers.first { $0.key.lowercased() == "idempotency-key" }?.value as? String
            let status = (item["response_status"] as? String).flatMap { Int($0) } ?? item["response_status"] as? Int
            attempts.append(Redelivery.Attempt(id: id, event: key ?? "event-\(id)", status: status))
        }
        return attempts
    }

    static func resendRequest(
        repository: String,
        hook: Int,
        event: Int,
        apiURL: String,
        headers: [(name: String, value: String)]
    ) -> StatusRequest {
        StatusRequest(
            url: "\(Self.root(repository, apiURL: apiURL))/hooks/\(hook)/events/\(event)/resend",
            headers: headers,
            json: [:]
        )
    }

    private static func root(_ repository: String, apiURL: String) -> String {
        GitLabStatus.readURL(repository: repository, apiURL: apiURL)
    }
}
