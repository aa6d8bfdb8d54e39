import PushRelayCore

/// What a host's posts are signed with: a token from the config, or a GitHub App's installation tokens.
package enum HostCredentials: Sendable {
    case token(APIToken)
    case app(GitHubAppTokens)

    /// The credentials `settings` configure; reads a GitHub App's key, throwing when it cannot sign.
    package static func of(_ settings: GitHost, exchange: HTTPExchange) throws -> Self {
        if let app = settings.app {
            return .app(try GitHubAppTokens(app, apiURL: settings.apiURL, exchange: exchange))
        }
        guard let token = settings.token else { throw HostCredentialsMissing() }
        return .token(token)
    }

    package func token(for repository: String) async throws -> APIToken {
        switch self {
        case .token(let token): token
        case .app(let tokens): try await tokens.token(for: repository)
        }
    }

    /// A post was refused with `401`: a minted token is forgotten, so that the next post mints another.
    func unauthorized(_ token: APIToken, for repository: String) async {
        if case .app(let tokens) = self { await tokens.refused(token, for: repository) }
    }
}

struct HostCredentialsMissing: Error, CustomStringConvertible {
    var description: String { "a status host without a token or an app" }
}
