import Foundation

/// A status post as it goes on the wire: built by the host kind's file, sent by the server.
package struct StatusRequest: Sendable, Equatable {
    package var method: String
    /// Absolute, with the path exactly as the host must receive it (GitLab's `%2F` stays encoded).
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(method: String = "POST", url: String, headers: [(name: String, value: String)], json: [String: Any]) {
        self.method = method
        self.url = url
        self.headers = headers + [("Content-Type", "application/json")]
        // Keys sorted, so that the same status is the same bytes (and tests can compare them).
        self.body = Array((try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data())
    }

    /// A read, without a body.
    package init(get url: String, headers: [(name: String, value: String)]) {
        self.method = "GET"
        self.url = url
        self.headers = headers
        self.body = []
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// One commit status to post: where, on what, under which name.
package struct StatusPost: Sendable, Equatable, Codable {
    /// The repository as the host's API names it, without the host: `owner/repo` (GitHub, Gitea,
    /// Bitbucket Cloud), `group/sub/project` (GitLab), `KEY/slug` (Bitbucket Data Center),
    /// `org/project/repo` (Azure DevOps).
    package var repository: String
    package var commit: String
    /// `{status.context}/{workspace}`; Azure DevOps splits it into genre and name.
    package var context: String
    package var status: CommitStatus
    /// With `status.summary: true`: how it counts in the commit's summary (``StatusSummary``).
    package var summary: StatusSummaryRole?

    package init(
        repository: String,
        commit: String,
        context: String,
        status: CommitStatus,
        summary: StatusSummaryRole? = nil
    ) {
        self.repository = repository
        self.commit = commit
        self.context = context
        self.status = status
        self.summary = summary
    }
}

/// A token for a host's API. Prints as `<token>`, so that it is never logged by accident.
package struct APIToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    package let value: String

    package init(_ value: String) {
        self.value = value
    }

    package var description: String { "<token>" }
    package var debugDescription: String { "<token>" }
    package var customMirror: Mirror { Mirror(self, children: []) }
}

/// What a host kind's file provides: the request for a post, and its default API root.
package protocol StatusAPIKind: Sendable {
    /// `nil` where the kind has no public default (self-hosted only).
    static var defaultAPIURL: String? { get }

    /// - Parameters:
    ///   - apiURL: the API root, without a trailing slash.
    ///   - fallbackURL: a link for hosts that demand one before there is a run to link to
    ///     (`terrakube.ui_url`).
    ///   - previous: the state last posted under this context on this commit, in the host's words.
    static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest

    /// The state a post says, in the host's words (what ``request`` sends as `previous` next time).
    static func state(of post: StatusPost, previous: String?) -> String

    /// How the kind's API takes a token: the one place for it, posts and reads alike.
    static func headers(_ token: APIToken) -> [(name: String, value: String)]

    /// The repository itself, which any token that may post to it can read (`check --online`).
    static func readURL(repository: String, apiURL: String) -> String
}

extension StatusAPIKind {
    /// `GET` of ``readURL(repository:apiURL:)``: answered `2xx` when the token can see the repository.
    package static func readRequest(repository: String, apiURL: String, token: APIToken) -> StatusRequest {
        StatusRequest(get: self.readURL(repository: repository, apiURL: apiURL), headers: self.headers(token))
    }
}

extension String {
    /// Percent-encoded as one path segment: `/` included, so that `group/sub/project` is one segment.
    package var pathSegmentEncoded: String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/;?#%")
        return self.addingPercentEncoding(withAllowedCharacters: allowed) ?? self
    }
}
