import Foundation

/// One repository's round of missed-push recovery: an item of work keyed by the repository, of a kind that
/// names its host (`recovery.round/github.com`), so that each host's rounds have a dispatcher of their own
/// and a slow or rate-limited host delays no other. The item is never finished while its repository is
/// configured: each round reschedules it for the next.
package struct RecoveryRound: Sendable, Equatable, Codable {
    /// The repository's normalised identity.
    package var repository: String
    /// `true`: the round of the host's GitHub App hook, whose failed deliveries are resent (SPEC section
    /// 12's redelivery); they belong to no one repository.
    package var appHook: Bool?

    package init(repository: String, appHook: Bool? = nil) {
        self.repository = repository
        self.appHook = appHook
    }

    package static func type(host: String) -> WorkType<RecoveryRound> {
        WorkType(WorkKind(rawValue: Self.kindPrefix + host))
    }

    /// Whether `kind` is a round (of any host).
    package static func isRound(_ kind: WorkKind) -> Bool { kind.rawValue.hasPrefix(Self.kindPrefix) }

    private static let kindPrefix = "recovery.round/"

    /// The round of `repository`, due now: queued at start and for a repository new to the config.
    package static func work(for repository: RepositoryIdentity) -> NewWork {
        Self.type(host: repository.host).work(
            RecoveryRound(repository: repository.description),
            key: repository.description
        )
    }

    /// The round of `host`'s GitHub App hook, due now.
    package static func appHookWork(host: String) -> NewWork {
        Self.type(host: host).work(RecoveryRound(repository: "", appHook: true), key: "github-app-hook")
    }
}

/// Where a repository's refs are read, and what it is: its `hosts` entry, or a public host PushRelay
/// knows the kind of.
package struct RecoveryTarget: Sendable, Equatable {
    package var repository: RepositoryConfig
    package var kind: GitHostKind
    /// Its `hosts` entry; `nil`: read anonymously.
    package var host: GitHost?

    /// The public hosts whose kind is known without a `hosts` entry.
    package static let publicHosts: [String: GitHostKind] = [
        "github.com": .github, "gitlab.com": .gitlab, "bitbucket.org": .bitbucketCloud,
        "dev.azure.com": .azureDevOps, "codeberg.org": .gitea, "gitea.com": .gitea,
    ]

    /// The target of `repository`; `nil` when it is left out of recovery (`recovery: false`) or its host
    /// is neither in `hosts` nor a known public host.
    package init?(_ repository: RepositoryConfig, settings: ServiceSettings) {
        guard repository.recovers else { return nil }
        let host = settings.hosts[repository.identity.host]
        guard let kind = host?.kind ?? Self.publicHosts[repository.identity.host] else { return nil }
        self.repository = repository
        self.kind = kind
        self.host = host
    }

    /// `GET {clone URL}/info/refs?service=git-upload-pack`: the clone URL is the identity's, in the host
    /// kind's shape, at the entry's `git_url` where it gives one.
    package var refsURL: String {
        let identity = self.repository.identity
        let base = self.host?.gitURL ?? "https://" + identity.host
        let path = identity.spelledPath
        let clonePath: String
        switch self.kind {
        case .bitbucketServer:
            clonePath = "/scm/\(path).git"
        case .azureDevOps:
            // `org/project/repo` → `org/project/_git/repo`.
            var segments = path.split(separator: "/").map(String.init)
            let repository = segments.popLast() ?? ""
            clonePath = "/" + (segments + ["_git", repository]).joined(separator: "/")
        case .github, .gitlab, .gitea, .gogs, .bitbucketCloud:
            clonePath = "/\(path).git"
        }
        return base + clonePath + "/info/refs?service=git-upload-pack"
    }

    /// The webhook provider whose deliveries this repository's would be: recovered pushes are recorded
    /// under it (and its `via`).
    package var provider: ProviderKind {
        switch self.kind {
        case .github: .github
        case .gitlab: .gitlab
        case .gitea, .gogs: .gitea
        case .bitbucketCloud, .bitbucketServer: .bitbucket
        case .azureDevOps: .azureDevOps
        }
    }
}

extension GitHostKind {
    /// The `Authorization` header of Git over HTTPS with `token`, as each host documents it: a username
    /// its token authentication expects and the token as the password, or a bearer token (Bitbucket Data
    /// Center's HTTP access tokens).
    package func gitAuthorization(token: String) -> String {
        let basic = { (user: String, password: String) in
            "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        return switch self {
        case .github: basic("x-access-token", token)
        case .gitlab: basic("oauth2", token)
        case .gitea, .gogs: basic(token, "x-oauth-basic")
        case .bitbucketCloud: basic("x-token-auth", token)
        case .bitbucketServer: "Bearer " + token
        case .azureDevOps: basic("", token)
        }
    }
}
