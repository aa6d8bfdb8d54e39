import Foundation
import PushRelayCore

/// The bodies of the fuzz targets: each turns the fuzzer's bytes into one call of the code under test.
/// Crashing, hanging or using memory without bound is the only failure; wrong answers are the unit
/// tests' business.
enum FuzzInputs {
    static let secret = WebhookSecret("fuzz-secret")

    /// Headers of a delivery of `kind` (the first byte picks the event), and the rest as the body.
    static func request(_ kind: ProviderKind, _ data: [UInt8]) -> (WebhookHeaders, [UInt8]) {
        let pick = Int(data.first ?? 0)
        let body = Array(data.dropFirst())
        let fields: [(String, String)]
        switch kind {
        case .github:
            fields = [
                ("X-GitHub-Event", ["push", "delete", "ping", "create", "pull_request"][pick % 5]),
                ("X-GitHub-Delivery", "d"),
            ]
        case .gitlab:
            fields = [
                ("X-Gitlab-Event", ["Push Hook", "Tag Push Hook", "System Hook", "Merge Request Hook"][pick % 4]),
                ("X-Gitlab-Event-UUID", "d"),
            ]
        case .gitea:
            fields = [
                ("X-Gitea-Event", ["push", "delete", "create", "pull_request"][pick % 4]), ("X-Gitea-Delivery", "d"),
            ]
        case .bitbucket:
            fields = [
                (
                    "X-Event-Key",
                    ["repo:push", "repo:refs_changed", "diagnostics:ping", "pullrequest:created", "pr:opened"][pick % 5]
                ),
                ("X-Request-UUID", "d"),
            ]
        case .azureDevOps:
            fields = [("X-Vss-ActivityId", "d")]
        }
        return (WebhookHeaders(fields.map { (name: $0.0, value: $0.1) }), body)
    }

    /// The whole accept decision: read, identify, authenticate (signed with the configured secret, so
    /// that routing is reached), route.
    static func intake(_ data: [UInt8]) {
        let kind = ProviderKind.allCases[Int(data.first ?? 0) % ProviderKind.allCases.count]
        let (headers, body) = Self.request(kind, Array(data.dropFirst()))
        let provider = WebhookProviders.provider(for: kind)
        let signed = provider.resend(
            WebhookRequest(headers: headers, body: body),
            secret: Self.secret,
            deliveryID: nil,
            now: Date()
        )
        _ = WebhookIntake(config: Self.routedConfig).evaluate(
            provider: provider,
            headers: signed.headers,
            body: signed.body
        )
    }

    /// Every signature, token and password header parser, with the bytes as the header value.
    static func signatureHeaders(_ data: [UInt8]) {
        let value = String(decoding: data, as: UTF8.self)
        let body = Array("{}".utf8)
        let secrets = [Self.secret]
        _ = HMACSignature.verifySHA256(header: value, body: body, secrets: secrets)
        _ = HMACSignature.verifySHA1(header: value, body: body, secrets: secrets)
        _ = HMACSignature.verifyBareSHA256(header: value, body: body, secrets: secrets)
        _ = HexBytes.decode(Substring(value))
        let standard = WebhookHeaders([
            (name: "webhook-id", value: "id"),
            (name: "webhook-timestamp", value: "\(Int(Date().timeIntervalSince1970))"),
            (name: "webhook-signature", value: value),
        ])
        _ = StandardWebhooksSignature.verify(headers: standard, body: body, secrets: secrets, now: Date())
        let named = WebhookHeaders([
            (name: "Authorization", value: value), (name: "X-Gitlab-Token", value: value),
            (name: "X-Hub-Signature-256", value: value), (name: "X-Hub-Signature", value: value),
            (name: "X-Gitea-Signature", value: value),
        ])
        for provider in WebhookProviders.all {
            _ = provider.authenticate(
                headers: named,
                body: body,
                secrets: secrets,
                options: SignatureOptions(allowSHA1: true),
                now: Date()
            )
        }
    }

    static func repositoryURL(_ data: [UInt8]) {
        _ = RepositoryIdentity(normalizing: String(decoding: data, as: UTF8.self))
    }

    /// The GitHub-style payload reader against `JSONDecoder`: what the reader accepts, JSONDecoder must
    /// read the same. (The reader may refuse more: it is the stricter of the two.)
    static func githubPayload(_ data: [UInt8]) {
        guard let payload = try? GitHubStylePayload(json: data, provider: .github) else { return }
        let reference = try? JSONDecoder().decode(GitHubStylePayload.self, from: Data(data))
        precondition(payload == reference, "the payload reader and JSONDecoder disagree")
    }

    /// A pattern and a name, split at the first NUL byte.
    static func glob(_ data: [UInt8]) {
        let split = data.firstIndex(of: 0) ?? data.endIndex
        let pattern = String(decoding: data[..<split], as: UTF8.self)
        let name = String(decoding: data[split...].dropFirst(), as: UTF8.self)
        _ = (try? GlobPattern(pattern))?.matches(name)
        _ = (try? PatternSet(pattern.split(separator: ",").map(String.init)))?.matches(name)
    }

    /// The bytes as a repository file (odd first byte) or as `pushrelay.yaml`, in a fresh directory.
    static func config(_ data: [UInt8]) {
        let directory = NSTemporaryDirectory() + "pushrelay-fuzz-config-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory + "/repos", withIntermediateDirectories: true)
        let text = Data(data.dropFirst())
        if (data.first ?? 0) % 2 == 1 {
            try? Data(Self.serviceYAML.utf8).write(to: URL(fileURLWithPath: directory + "/pushrelay.yaml"))
            try? text.write(to: URL(fileURLWithPath: directory + "/repos/fuzz.yaml"))
        } else {
            try? text.write(to: URL(fileURLWithPath: directory + "/pushrelay.yaml"))
            try? FileManager.default.removeItem(atPath: directory + "/repos/fuzz.yaml")
        }
        _ = ConfigLoader(directory: directory, environment: ["SECRET": "s", "TOKEN": "t"]).validate()
    }

    /// A file given to `replay`: read in any of its shapes, then evaluated as the dry run does.
    /// `POST /hooks/terrakube`: the signature check, and the body read.
    static func terrakubeNotification(_ data: [UInt8]) {
        let split = min(Int(data.first ?? 0), max(0, data.count - 1))
        let signature = String(decoding: data.dropFirst().prefix(split), as: UTF8.self)
        let body = Array(data.dropFirst(1 + split))
        _ = TerrakubeNotification.verify(signature: signature, body: body, secrets: [Self.secret])
        _ = TerrakubeNotification(body: body)
    }

    static func savedDelivery(_ data: [UInt8]) {
        let provider = ProviderKind.allCases[Int(data.first ?? 0) % ProviderKind.allCases.count]
        guard
            let input = try? ReplayInput.read(
                Array(data.dropFirst()),
                provider: provider,
                event: "push",
                fallbackDeliveryID: "fuzz"
            )
        else { return }
        _ = try? ReplayEvaluation.evaluate(input, config: Self.routedConfig)
    }

    static let serviceYAML = """
        terrakube:
          url: "http://127.0.0.1:9"
          token_env: TOKEN
          organization: org
        secret_env: SECRET
        """

    /// Routes for every branch, tag and path on the fixtures' repositories, and plans of their pull requests.
    static let routedConfig: RelayConfig = {
        var route = Route(
            file: "repos/f.yaml",
            line: 1,
            branches: try! PatternSet(["**", "!skip/**"]),
            tags: try! PatternSet(["v*"]),
            paths: try! PatternSet(["envs/**", "*.tf"]),
            workspace: "ws",
            template: "tpl",
            onDeleteTemplate: "destroy"
        )
        route.pullRequests = PullRequestPlans(template: "plan", drafts: true)
        let routes = [route]
        let identities = [
            "github.com/codertocat/hello-world", "gitlab.com/gitlab-org/hello-world", "localhost/gitea/webhooks",
            "bitbucket.org/brydzewski/foo", "dev.azure.com/fabrikam-fiber-inc/fabrikam-fiber-git/fabrikam-fiber-git",
        ]
        return RelayConfig(
            settings: ServiceSettings(
                listen: ListenAddress(host: "127.0.0.1", port: 0),
                terrakube: .init(url: "http://127.0.0.1:9", token: "t", organization: "org"),
                store: .sqlite(":memory:"),
                defaultSecrets: [Self.secret]
            ),
            repositories: identities.map { identity in
                RepositoryConfig(
                    identity: RepositoryIdentity(normalizing: identity)!,
                    file: "repos/f.yaml",
                    secrets: [Self.secret],
                    routes: routes
                )
            }
        )
    }()

    /// A Git server's answer to `info/refs?service=git-upload-pack`, as recovery reads it.
    static func refAdvertisement(_ data: [UInt8]) {
        if let advertisement = try? RefAdvertisement(parsing: data) { _ = advertisement.heads }
    }
}
