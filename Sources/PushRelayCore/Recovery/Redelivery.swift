import Foundation

/// Redelivery (SPEC section 12, GitHub and GitLab): which of a hook's recent deliveries the host is asked to
/// send again. A resent delivery keeps its id, so the listener's dedupe makes it exactly once; this brings
/// back what a ref advertisement cannot show (pull request events, a push's own headers).
package enum Redelivery {
    /// One attempt to deliver one event, as the host lists it.
    package struct Attempt: Sendable, Equatable {
        /// What a resend names: GitHub's delivery id, GitLab's hook event id.
        package var id: Int
        /// Shared by every attempt of one event: GitHub's `guid`, GitLab's `Idempotency-Key`.
        package var event: String
        /// What the receiver answered; `nil` when it did not (no connection, a timeout).
        package var status: Int?
        /// When it was made, where the host says.
        package var at: Date?

        package init(id: Int, event: String, status: Int?, at: Date? = nil) {
            self.id = id
            self.event = event
            self.status = status
            self.at = at
        }
    }

    /// Whose deliveries: a repository's hook, or a GitHub App's one hook.
    package enum Scope: Sendable, Equatable {
        case repository(String, hook: Int)
        case app
    }

    /// The attempts of one event stop being resent after this many (the first and three resends): an event
    /// the listener keeps refusing is not resent every round for the days the host keeps it.
    package static let maxAttempts = 4

    /// How many resends one hook is asked for in a round: GitLab takes five a minute per hook and user.
    package static func resendsPerRound(_ kind: GitHostKind) -> Int { kind == .gitlab ? 5 : 50 }

    /// The attempts to resend, oldest event first, at most `limit`: for each event with no `2xx` attempt,
    /// fewer than ``maxAttempts`` attempts, and a last answer that was not a refusal that would repeat (a
    /// `4xx` other than `408` and `429`: a bad signature, a body too large), its newest attempt.
    package static func toResend(_ attempts: [Attempt], limit: Int) -> [Attempt] {
        var events: [String: [Attempt]] = [:]
        var order: [String] = []
        for attempt in attempts {
            if events[attempt.event] == nil { order.append(attempt.event) }
            events[attempt.event, default: []].append(attempt)
        }
        var chosen: [Attempt] = []
        for event in order {
            let tries = events[event, default: []].sorted { $0.id < $1.id }
            guard let newest = tries.last, tries.count < Self.maxAttempts,
                !tries.contains(where: { (200...299).contains($0.status ?? 0) })
            else { continue }
            if let status = newest.status, (400...499).contains(status), status != 408, status != 429 { continue }
            chosen.append(newest)
        }
        // Hosts list newest first; resending the oldest first keeps the events' order where it can.
        return Array(chosen.sorted { $0.id < $1.id }.prefix(limit))
    }

    /// The next page's URL from a `Link` header (GitHub's cursors, GitLab's pages); `nil` on the last.
    package static func nextPage(link: String?) -> String? {
        guard let link else { return nil }
        for part in link.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.dropFirst().contains(where: { $0 == "rel=\"next\"" || $0 == "rel=next" }),
                let target = fields.first, target.hasPrefix("<"), target.hasSuffix(">")
            else { continue }
            return String(target.dropFirst().dropLast())
        }
        return nil
    }

    /// The request listing `repository`'s hooks; `nil` for a kind without redelivery.
    package static func hooksRequest(
        kind: GitHostKind,
        repository: String,
        apiURL: String,
        token: APIToken
    ) -> StatusRequest? {
        switch kind {
        case .github: GitHubHookDeliveries.hooksRequest(repository: repository, apiURL: apiURL, token: token)
        case .gitlab: GitLabHookEvents.hooksRequest(repository: repository, apiURL: apiURL, token: token)
        default: nil
        }
    }

    /// The ids of the hooks in a hooks list whose URL starts with `prefix`; `nil` when it is not one.
    package static func hooks(kind: GitHostKind, in body: [UInt8], startingWith prefix: String) -> [Int]? {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]] else { return nil }
        return list.compactMap { hook in
            let url = kind == .github ? (hook["config"] as? [String: Any])?["url"] as? String : hook["url"] as? String
            guard let id = hook["id"] as? Int, let url, url.hasPrefix(prefix) else { return nil }
            return id
        }
    }

    /// The request for the first page of a hook's deliveries.
    package static func attemptsRequest(
        kind: GitHostKind,
        scope: Scope,
        apiURL: String,
        authorization: [(name: String, value: String)]
    ) -> StatusRequest? {
        switch (kind, scope) {
        case (.github, _): GitHubHookDeliveries.attemptsRequest(scope, apiURL: apiURL, headers: authorization)
        case (.gitlab, .repository(let repository, let hook)):
            GitLabHookEvents.attemptsRequest(repository: repository, hook: hook, apiURL: apiURL, headers: authorization)
        default: nil
        }
    }

    /// The attempts a page of deliveries lists; `nil` when it is not such a page.
    package static func attempts(kind: GitHostKind, in body: [UInt8]) -> [Attempt]? {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]] else { return nil }
        return kind == .gitlab ? GitLabHookEvents.attempts(list) : GitHubHookDeliveries.attempts(list)
    }

    /// The request that asks the host to send `attempt`'s event again.
    package static func resendRequest(
        kind: GitHostKind,
        scope: Scope,
        attempt: Attempt,
        apiURL: String,
        authorization: [(name: String, value: String)]
    ) -> StatusRequest? {
        switch (kind, scope) {
        case (.github, _):
            GitHubHookDeliveries.resendRequest(scope, attempt: attempt.id, apiURL: apiURL, headers: authorization)
        case (.gitlab, .repository(let repository, let hook)):
            GitLabHookEvents.resendRequest(
                repository: repository,
                hook: hook,
                event: attempt.id,
                apiURL: apiURL,
                headers: authorization
            )
        default: nil
        }
    }
}

extension Redelivery {
    /// The headers of a repository hook's calls with `token`.
    package static func headers(kind: GitHostKind, token: APIToken) -> [(name: String, value: String)] {
        kind == .gitlab ? GitLabStatus.headers(token) : GitHubStatus.headers(token)
    }
}
