import CryptoExtras
import Foundation
import Testing

@testable import PushRelayCore

/// `terrakube.ui_url` and the `status` section of `pushrelay.yaml` (SPEC section 10), and a repository's
/// `status: false`.
struct StatusConfigTests {
    static let repository = """
        repository: github.com/acme/infra
        status: false
        routes:
          - branches: ["main"]
            workspace: ws-prod
            template: tpl-apply
        """

    static func service(_ status: String, uiURL: String? = "https://terrakube-ui.example.com/") -> String {
        ConfigDirectory.service.replacingOccurrences(
            of: "  organization: \"org-1\"",
            with: "  organization: \"org-1\"" + (uiURL.map { "\n  ui_url: \"\($0)\"" } ?? "")
        ) + "\n" + status
    }

    static let environment = ConfigDirectory.environment.merging(["GH_STATUS": "ghp-1", "GL_STATUS": "glpat-1"]) {
        $1
    }

    @Test func everyHostKindLoadsWithItsDefaultOrGivenAPI() throws {
        let status = """
            status:
              context: relay
            hosts:
              github.com:
                kind: github
                token_env: GH_STATUS
              gitlab.example.com:
                kind: gitlab
                api_url: "https://gitlab.example.com/api/v4/"
                token_env: GL_STATUS
              dev.azure.com:
                kind: azure-devops
                token_env: GH_STATUS
              gogs.example.com:
                kind: gogs
                git_url: "http://gogs.example.com:3000/"
                token_env: GH_STATUS
            """
        let directory = try ConfigDirectory(service: Self.service(status), repos: ["infra.yaml": Self.repository])
        defer { directory.remove() }
        let config = try ConfigLoader(directory: directory.path, environment: Self.environment).load()
        #expect(config.settings.terrakube.uiURL == "https://terrakube-ui.example.com")
        let settings = try #require(config.settings.status)
        #expect(settings.context == "relay")
        let hosts = config.settings.hosts
        #expect(hosts["github.com"] == .init(kind: .github, apiURL: "https://api.github.com", token: APIToken("ghp-1")))
        #expect(hosts["gitlab.example.com"]?.apiURL == "https://gitlab.example.com/api/v4")
        #expect(hosts["dev.azure.com"]?.apiURL == "https://dev.azure.com")
        // Gogs has no status API: it is a host for recovery, reached over Git.
        #expect(hosts["gogs.example.com"]?.gitURL == "http://gogs.example.com:3000")
        #expect(hosts["gogs.example.com"]?.statusKind == nil)
        #expect(config.repositories.first?.postsStatuses == false)
        #expect(config.warnings.isEmpty, "\(config.warnings)")
    }

    @Test func theOldStatusHostsAreReadWithAWarningAndNotBesideHosts() throws {
        let old = """
            status:
              hosts:
                github.com: {kind: github, token_env: GH_STATUS}
            """
        let directory = try ConfigDirectory(service: Self.service(old), repos: ["infra.yaml": Self.repository])
        defer { directory.remove() }
        let (config, problems) = ConfigLoader(directory: directory.path, environment: Self.environment).validate()
        #expect(config?.settings.hosts["github.com"]?.token == APIToken("ghp-1"))
        #expect(
            problems.map { $0.description.replacingOccurrences(of: directory.path + "/", with: "") } == [
                "pushrelay.yaml:11: warning: 'status.hosts' is now the top-level 'hosts' section: move it there"
            ]
        )
        let both = try ConfigLoaderTests.problems(
            service: Self.service(old + "\nhosts:\n  gitlab.com: {kind: gitlab, token_env: GL_STATUS}"),
            repos: ["infra.yaml": Self.repository],
            environment: Self.environment
        )
        #expect(both == ["pushrelay.yaml:11: give 'hosts' or 'status.hosts', not both"])
    }

    @Test func withoutAStatusSectionNothingIsPosted() throws {
        let directory = try ConfigDirectory(service: ConfigDirectory.service, repos: ["infra.yaml": Self.repository])
        defer { directory.remove() }
        let config = try ConfigLoader(directory: directory.path, environment: Self.environment).load()
        #expect(config.settings.status == nil)
        #expect(config.settings.terrakube.uiURL == nil)
    }

    @Test func checkRefusesWhatCannotPostWithTheLine() throws {
        let status = """
            status:
              context: relay
            hosts:
              gogs.example.com:
                kind: gogs
                token_env: GH_STATUS
              gitea.example.com:
                kind: gitea
                token_env: GH_STATUS
              github.com:
                kind: github
              gitlab.com:
                kind: gitlab
                token_env: GL_STATUS
                app: {id: "1", private_key_file: key.pem}
              git.example.com:
                kind: gitbucket
                token_env: GH_STATUS
            """
        let problems = try ConfigLoaderTests.problems(
            service: Self.service(status, uiURL: nil),
            repos: ["infra.yaml": Self.repository],
            environment: Self.environment
        )
        #expect(
            problems.contains(
                "pushrelay.yaml:9: 'status' needs 'terrakube.ui_url' (Terrakube's UI, which each status links to)"
            )
        )
        #expect(problems.contains("pushrelay.yaml:16: gitea has no public API: give 'api_url'"))
        #expect(problems.contains("pushrelay.yaml:19: missing 'token_env' or 'token_file' for host github.com"))
        #expect(problems.contains("pushrelay.yaml:23: 'app' is for kind github only"))
        #expect(problems.contains("pushrelay.yaml:23: give a token or 'app', not both"))
        #expect(
            problems.contains(
                "pushrelay.yaml:25: unknown kind 'gitbucket'; one of github, gitlab, gitea, gogs, bitbucket-cloud, bitbucket-server, azure-devops"
            )
        )
        #expect(problems.count == 6, "\(problems)")
    }

    @Test func aGitHubAppNeedsItsKeyFile() throws {
        let status = """
            status:
              context: pushrelay
            hosts:
              github.com:
                kind: github
                app: {id: "12345", private_key_file: app.pem}
            """
        let problems = try ConfigLoaderTests.problems(
            service: Self.service(status),
            repos: ["infra.yaml": Self.repository],
            environment: Self.environment
        )
        #expect(problems == ["pushrelay.yaml:15: cannot read 'app.pem'"])
        // With a token instead, nothing to say.
        let none = try ConfigLoaderTests.problems(
            service: Self.service(
                status.replacingOccurrences(
                    of: "app: {id: \"12345\", private_key_file: app.pem}",
                    with: "token_env: GH_STATUS"
                )
            ),
            repos: ["infra.yaml": Self.repository],
            environment: Self.environment
        )
        #expect(none.isEmpty, "\(none)")

        let directory = try ConfigDirectory(service: Self.service(status), repos: ["infra.yaml": Self.repository])
        defer { directory.remove() }
        try "-----BEGIN PRIVATE KEY-----\n".write(
            toFile: directory.path + "/app.pem",
            atomically: true,
            encoding: .utf8
        )
        // A file that is not a key is refused with its line.
        let refused = ConfigLoader(directory: directory.path, environment: Self.environment).validate().1.map {
            $0.description.replacingOccurrences(of: directory.path + "/", with: "")
        }
        #expect(
            refused == [
                "pushrelay.yaml:15: 'app.pem' is not an RSA private key in PEM (GitHub's \"Generate a private key\" gives one)"
            ]
        )
        // GitHub's own format: PKCS#1.
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try key.pemRepresentation.write(toFile: directory.path + "/app.pem", atomically: true, encoding: .utf8)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let config = try ConfigLoader(directory: directory.path, environment: Self.environment).load()
        let host = try #require(config.settings.hosts["github.com"])
        #expect(host.token == nil)
        #expect(host.app == .init(id: "12345", privateKeyFile: directory.path + "/app.pem"))
    }
}

/// `recovery` and a repository's `recovery: false` (SPEC section 12).
struct RecoveryConfigTests {
    static let repository = """
        repository: github.com/acme/infra
        routes:
          - branches: ["main"]
            workspace: ws-prod
            template: tpl-apply
        """

    @Test func recoveryIsOffUnlessAskedAndSaysWhichRepositoriesItCannotRead() throws {
        let off = try ConfigDirectory(service: ConfigDirectory.service, repos: ["infra.yaml": Self.repository])
        defer { off.remove() }
        #expect(
            try ConfigLoader(directory: off.path, environment: ConfigDirectory.environment).load().settings.recovery
                == nil
        )

        let service =
            ConfigDirectory.service + """

                recovery:
                  poll_seconds: 120
                  redeliver_url: "https://relay.example.com/hooks"
                """
        let on = try ConfigDirectory(
            service: service,
            repos: [
                "infra.yaml": Self.repository,
                "own.yaml": Self.repository.replacingOccurrences(of: "github.com/acme", with: "git.example.com/team"),
                "quiet.yaml": Self.repository.replacingOccurrences(of: "infra", with: "quiet") + "\nrecovery: false",
            ]
        )
        defer { on.remove() }
        let config = try ConfigLoader(directory: on.path, environment: ConfigDirectory.environment).load()
        #expect(
            config.settings.recovery
                == RecoverySettings(pollSeconds: 120, redeliverURL: "https://relay.example.com/hooks")
        )
        #expect(config.repositories.first { $0.file.hasSuffix("quiet.yaml") }?.recovers == false)
        #expect(
            config.warnings.map(\.message) == [
                "recovery skips 1 repository on git.example.com: no 'hosts' entry says what kind of host it is",
                "recovery reads 1 repository on github.com without credentials (no 'hosts' entry): private ones cannot be read",
            ]
        )
        let zero = try ConfigDirectory(
            service: ConfigDirectory.service + "\nrecovery:\n  poll_seconds: 0",
            repos: ["infra.yaml": Self.repository]
        )
        defer { zero.remove() }
        #expect(
            try ConfigLoader(directory: zero.path, environment: ConfigDirectory.environment).load().settings.recovery
                == nil
        )
    }
}
