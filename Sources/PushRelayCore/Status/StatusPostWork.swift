import Foundation

/// An item that posts one commit status: the kind names the host (`status.post/github.com`), so that each
/// host has a dispatcher of its own and a slow one delays no other; the key names the status (repository,
/// commit and name), so that a newer state replaces one not yet sent.
package struct StatusPostWork: Sendable, Equatable, Codable {
    /// The `status.hosts` entry it goes to.
    package var host: String
    package var post: StatusPost

    package init(host: String, post: StatusPost) {
        self.host = host
        self.post = post
    }

    package static func kind(host: String) -> WorkKind { WorkKind(rawValue: Self.kindPrefix + host) }

    /// Whether `kind` posts statuses (to any host).
    package static func isPost(_ kind: WorkKind) -> Bool { kind.rawValue.hasPrefix(Self.kindPrefix) }

    private static let kindPrefix = "status.post/"

    package var work: NewWork {
        NewWork(
            kind: Self.kind(host: self.host),
            // Codable values of strings only: encoding cannot fail.
            payload: Array(try! JSONEncoder().encode(self)),
            key: "\(self.post.repository)@\(self.post.commit)#\(self.post.context)"
        )
    }

    package static func decoded(_ payload: [UInt8]) throws -> StatusPostWork {
        try JSONDecoder().decode(StatusPostWork.self, from: Data(payload))
    }

    /// What a posted status is recorded as (the keyed item's result): the host's state and the text, so
    /// that the same status is not posted twice and GitLab's next state knows where it stands. Results are
    /// unique per kind in the queue, and two commits may well show the same text (`Queued`): the item's
    /// own id, which a keyed item keeps, ends it.
    package static func result(state: String, description: String, item: Int64) -> String {
        "\(state) \(description) (#\(item))"
    }

    /// The host's state in a recorded result.
    package static func state(inResult result: String?) -> String? {
        result.flatMap { $0.split(separator: " ", maxSplits: 1).first.map(String.init) }
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
        let rateLimited = status == 429 || (status == 403 && header("x-ratelimit-remaining") == "0")
        if rateLimited || status == 409 || status == 408 || (500...599).contains(status) {
            return .retry(after: Self.wait(header: header, now: now), reason: reason)
        }
        return .refused(reason: reason)
    }

    /// `Retry-After` (seconds), else `x-ratelimit-reset` (a time).
    private static func wait(header: (String) -> String?, now: Date) -> Duration? {
        if let seconds = header("retry-after").flatMap(Double.init), seconds >= 0 {
            return .milliseconds(Int64(seconds * 1000))
        }
        if let reset = header("x-ratelimit-reset").flatMap(Double.init) {
            return .milliseconds(Int64(max(0, reset - now.timeIntervalSince1970) * 1000))
        }
        return nil
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
