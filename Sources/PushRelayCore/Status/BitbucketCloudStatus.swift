import Crypto
import Foundation

/// Bitbucket Cloud: `POST {api}/repositories/{workspace}/{repo}/commit/{sha}/statuses/build`. A post with
/// the key of an earlier one replaces it; keys are at most 40 characters, so the key is the hex SHA-1 of
/// the status's name (never two names on one key, as cutting names short could give).
package enum BitbucketCloudStatus: StatusAPIKind {
    package static let defaultAPIURL: String? = "https://api.bitbucket.org/2.0"

    package static func request(
        _ post: StatusPost,
        apiURL: String,
        token: APIToken,
        fallbackURL: String,
        previous: String?
    ) -> StatusRequest {
        StatusRequest(
            url: "\(apiURL)/repositories/\(post.repository)/commit/\(post.commit)/statuses/build",
            headers: self.headers(token),
            json: BitbucketStatusBody.json(
                post,
                state: self.state(of: post, previous: previous),
                fallbackURL: fallbackURL
            )
        )
    }

    package static func state(of post: StatusPost, previous: String?) -> String {
        BitbucketStatusBody.state(post.status, cancelled: "STOPPED")
    }

    package static func headers(_ token: APIToken) -> [(name: String, value: String)] {
        [("Authorization", "Bearer \(token.value)")]
    }

    package static func readURL(repository: String, apiURL: String) -> String {
        "\(apiURL)/repositories/\(repository)"
    }

    /// `GET {api}/repositories/{workspace}/{repo}/commit/{hash}`: a pull request's payload gives its head
    /// abbreviated, and this gives the commit, with the full `hash`.
    package static func commitRequest(
        repository: String,
        hash: String,
        apiURL: String,
        token: APIToken
    ) -> StatusRequest {
        StatusRequest(
            get: "\(apiURL)/repositories/\(repository)/commit/\(hash.pathSegmentEncoded)",
            headers: self.headers(token)
        )
    }

    /// The full sha in a commit's answer, if it is one (40 hex characters that begin with `abbreviated`).
    package static func fullHash(in body: [UInt8], abbreviated: String) -> String? {
        struct Commit: Decodable {
            var hash: String?
        }
        guard let hash = try? JSONDecoder().decode(Commit.self, from: Data(body)).hash, hash.utf8.count == 40,
            HexBytes.decode(hash) != nil, hash.lowercased().hasPrefix(abbreviated.lowercased())
        else { return nil }
        return hash
    }
}

/// What Bitbucket Cloud and Data Center share: the body, its key, and the states.
package enum BitbucketStatusBody {
    /// The key of a status named `name`: 40 hex characters.
    package static func key(_ name: String) -> String {
        HexBytes.encode(Insecure.SHA1.hash(data: Array(name.utf8)))
    }

    /// Both demand a `url`: before there is a run, Terrakube's UI.
    static func json(_ post: StatusPost, state: String, fallbackURL: String) -> [String: Any] {
        [
            "key": self.key(post.context), "name": post.context, "state": state,
            "url": post.status.targetURL ?? fallbackURL, "description": post.status.description,
        ]
    }

    static func state(_ status: CommitStatus, cancelled: String) -> String {
        switch status.state {
        case .pending: "INPROGRESS"
        case .success: "SUCCESSFUL"
        case .failure: "FAILED"
        case .error: status.terrakubeState == "cancelled" ? cancelled : "FAILED"
        }
    }
}
