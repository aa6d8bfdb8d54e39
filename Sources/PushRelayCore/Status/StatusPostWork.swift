import Foundation

/// An item that posts one commit status: the kind names the host (`status.post/github.com`), so that each
/// host has a dispatcher of its own and a slow one delays no other; the key names the status (repository,
/// commit and name), so that a newer state replaces one not yet sent.
package struct StatusPostWork: Sendable, Equatable, Codable {
    /// The `hosts` entry it goes to.
    package var host: String
    package var post: StatusPost

    package init(host: String, post: StatusPost) {
        self.host = host
        self.post = post
    }

    package static func kind(host: String) -> WorkKind { WorkKind(rawValue: Self.kindPrefix + host) }

    /// The kind of the posts to `host`.
    package static func type(host: String) -> WorkType<StatusPostWork> { WorkType(Self.kind(host: host)) }

    /// Whether `kind` posts statuses (to any host).
    package static func isPost(_ kind: WorkKind) -> Bool { kind.rawValue.hasPrefix(Self.kindPrefix) }

    private static let kindPrefix = "status.post/"

    package var work: NewWork {
        Self.type(host: self.host).work(self, key: "\(self.post.repository)@\(self.post.commit)#\(self.post.context)")
    }

    /// What a post left on the commit, recorded as the keyed item's result: so that the same status is not
    /// posted twice, and GitLab's next state knows where it stands. Two commits may show the same text:
    /// results of status posts are not unique.
    package struct Posted: Codable, Sendable, Equatable {
        /// The host's own word for the state.
        package var state: String
        package var description: String

        package init(state: String, description: String) {
            self.state = state
            self.description = description
        }

        /// As the item records it.
        package var result: String {
            JSONText.object([("description", JSONText.quote(self.description)), ("state", JSONText.quote(self.state))])
        }

        /// What an item recorded; `nil` when it has posted nothing yet.
        package init?(result: String?) {
            guard let result, let posted = try? JSONDecoder().decode(Posted.self, from: Data(result.utf8)) else {
                return nil
            }
            self = posted
        }
    }
}

/// What a host's answer to a status post means (SPEC section 10), in one place.
package enum StatusAnswer: Sendable, Equatable {
    case posted
    /// Worth sending again: not before `after` when the host said when.
    case retry(after: Duration?, reason: String)
    /// The post can never succeed as it is (a token that cannot see the repository, a commit it does
    /// not know): the reason is recorded and shown.
    case refused(reason: String)

    /// - Parameters:
    ///   - header: the answer's header of that name (case-insensitive), if any.
    ///   - now: for `x-ratelimit-reset`, which is a time, in seconds since 1970.
    package static func classify(
        status: Int,
        header: (String) -> String?,
        body: String,
        kind: StatusHostKind,
        now: Date
    ) -> StatusAnswer {
        if (200...299).contains(status) { return .posted }
        if kind == .gitlab, GitLabStatus.isAlreadyThere(status: status, body: body) { return .posted }
        let reason = "HTTP \(status)" + (Self.message(in: body).map { ": " + $0 } ?? "")
        let rateLimited = HostRateLimit.isSpent(status: status, header: header)
        if rateLimited || status == 409 || status == 408 || (500...599).contains(status) {
            return .retry(after: HostRateLimit.wait(header: header, now: now), reason: reason)
        }
        return .refused(reason: reason)
    }

    /// The host's own words: `message` (GitHub, GitLab, Gitea), `error.message` (Bitbucket), at most 200
    /// characters, on one line.
    private static func message(in body: String) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] else {
            return nil
        }
        let found =
            (object["message"] as? String) ?? ((object["error"] as? [String: Any])?["message"] as? String)
            ?? (object["message"].flatMap { try? JSONSerialization.data(withJSONObject: $0) }).map {
                String(decoding: $0, as: UTF8.self)
            }
        return found.map { String($0.prefix(200)).replacingOccurrences(of: "\n", with: " ") }
    }
}
