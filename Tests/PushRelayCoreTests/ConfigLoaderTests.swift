import Foundation
import Testing
import Yams

@testable import PushRelayCore

struct ConfigLoaderTests {
    /// The problems `check` would print, with the directory prefix dropped.
    static func problems(
        service: String = ConfigDirectory.service,
        repos: [String: String],
        environment: [String: String] = ConfigDirectory.environment
    ) throws -> [String] {
        let directory = try ConfigDirectory(service: service, repos: repos)
        defer { directory.remove() }
        let (_, problems) = ConfigLoader(directory: directory.path, environment: environment).validate()
        return problems.map { $0.description.replacingOccurrences(of: directory.path + "/", with: "") }
    }

    @Test func loadsAValidDirectory() throws {
        let directory = try ConfigDirectory(
            service: ConfigDirectory.service,
            repos: [
                "infra.yaml": """
                repository: https://GitHub.com/acme/infra.git
                secret_env: [INFRA_SECRET, DEFAULT_SECRET]
                routes:
                  - branches: ["main"]
                    workspace: ws-prod
                    template: tpl-apply
                  - tags: ["v*"]
                    paths: ["envs/**"]
                    workspace: ws-prod
                    template: tpl-plan
                """
            ]
        )
        defer { directory.remove() }
        let config = try ConfigLoader(directory: directory.path, environment: ConfigDirectory.environment).load()
        #expect(config.settings.terrakube.url == "http://127.0.0.1:9")
        #expect(config.settings.terrakube.token == "token-1")
        #expect(config.settings.listen == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(config.settings.defaultSecrets == [WebhookSecret("default-secret")])
        let repository = try #require(config.repositories.first)
        #expect(repository.identity.description == "github.com/acme/infra")
        #expect(repository.secrets == [WebhookSecret("infra-secret"), WebhookSecret("default-secret")])
        #expect(repository.routes.map(\.line) == [4, 7])
        #expect(repository.routes[1].tags?.matches("v1.2") == true)
        #expect(repository.routes[1].paths?.matches("envs/prod/main.tf") == true)
    }

    @Test func reportsYAMLErrorsWithTheirLine() throws {
        let problems = try Self.problems(repos: ["bad.yaml": "repository: x/y\nroutes:\n  - branches: [main\n"])
        #expect(problems.count == 1)
        #expect(problems[0].hasPrefix("repos/bad.yaml:4: invalid YAML"))
    }

    @Test func reportsUnknownKeysWithTheirLine() throws {
        let problems = try Self.problems(repos: [
            "infra.yaml": """
            repository: github.com/acme/infra
            routes:
              - branch: ["main"]
                branches: ["main"]
                workspace: ws
                template: tpl
            """
        ])
        #expect(problems.count == 1)
        #expect(problems[0].hasPrefix("repos/infra.yaml:3: unknown key 'branch'"))
    }

    @Test func reportsAMissingSecretVariable() throws {
        let problems = try Self.problems(repos: [
            "infra.yaml": """
            repository: github.com/acme/infra
            secret_env: NOT_SET_ANYWHERE
            routes:
              - branches: ["main"]
                workspace: ws
                template: tpl
            """
        ])
        #expect(problems == ["repos/infra.yaml:2: environment variable NOT_SET_ANYWHERE is not set or empty"])
    }

    @Test func reportsARouteThatCanNeverMatch() throws {
        let problems = try Self.problems(repos: [
            "infra.yaml": """
            repository: github.com/acme/infra
            routes:
              - paths: ["envs/**"]
                workspace: ws
                template: tpl
              - branches: []
                workspace: ws
                template: tpl
            """
        ])
        #expect(
            problems == [
                "repos/infra.yaml:3: route has neither 'branches' nor 'tags': it can never match",
                "repos/infra.yaml:6: 'branches' is an empty list: this filter can never match",
            ]
        )
    }

    @Test func reportsEachBadGlobOnItsOwnLine() throws {
        let problems = try Self.problems(repos: [
            "infra.yaml": """
            repository: github.com/acme/infra
            routes:
              - branches:
                  - main
                  - "release**"
                tags: ["[0-9]*"]
                workspace: ws
                template: tpl
            """
        ])
        #expect(
            problems == [
                "repos/infra.yaml:5: bad pattern 'release**': '**' must be a whole segment, as in 'release/**'",
                "repos/infra.yaml:6: bad pattern '[0-9]*': character classes ('[...]') are not supported; use '?' or '*'",
            ]
        )
    }

    @Test func refusesARepositoryWithoutASecret() throws {
        let service = ConfigDirectory.service.replacingOccurrences(of: "secret_env: DEFAULT_SECRET", with: "")
        let repo = """
            repository: github.com/acme/infra
            routes:
              - branches: ["main"]
                workspace: ws
                template: tpl
            """
        let problems = try Self.problems(service: service, repos: ["infra.yaml": repo])
        #expect(problems.count == 1)
        #expect(problems[0].hasPrefix("repos/infra.yaml:1: no webhook secret"))
        // An explicit opt-out is accepted, with no warning.
        #expect(
            try Self.problems(service: service, repos: ["infra.yaml": "insecure_no_signature: true\n" + repo]).isEmpty
        )
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let problems = try Self.problems(
            service: """
                listen: "nowhere"
                terrakube:
                  url: "ftp://x"
                  token_env: TK_TOKEN
                  organization: org
                colour: blue
                """,
            repos: ["a.yaml": "repository: github.com/a/b\nroutes: {}\n", "b.yaml": "routes: []\n"]
        )
        #expect(
            problems == [
                "pushrelay.yaml:6: unknown key 'colour' (expected one of: dispatch, hosts, limits, listen, metrics, recovery, reload, secret_env, secret_file, status, store, terrakube, tls)",
                "pushrelay.yaml:1: 'listen' must be host:port, such as \"0.0.0.0:8080\"",
                "pushrelay.yaml:3: 'url' must start with http:// or https://",
                "repos/a.yaml:1: no webhook secret: set secret_env or secret_file here or in pushrelay.yaml (or, to accept unsigned deliveries, insecure_no_signature: true)",
                "repos/a.yaml:2: 'routes' must be a list",
                "repos/b.yaml:1: missing 'repository' (such as github.com/acme/infra)",
                "repos/b.yaml:1: no webhook secret: set secret_env or secret_file here or in pushrelay.yaml (or, to accept unsigned deliveries, insecure_no_signature: true)",
                "repos/b.yaml:1: warning: 'routes' is empty: no push will create a job",
            ]
        )
    }

    @Test func refusesTheSameRepositoryTwice() throws {
        let repo = """
            repository: REPO
            routes:
              - branches: ["main"]
                workspace: ws
                template: tpl
            """
        let problems = try Self.problems(repos: [
            "a.yaml": repo.replacingOccurrences(of: "REPO", with: "git@github.com:acme/infra.git"),
            "b.yaml": repo.replacingOccurrences(of: "REPO", with: "https://github.com/acme/infra"),
        ])
        #expect(problems.count == 1)
        #expect(problems[0].hasPrefix("repos/b.yaml:1: repository github.com/acme/infra is already configured in"))
    }

    @Test func readsSecretsFromFilesWithoutTheirTrailingNewline() throws {
        let directory = try ConfigDirectory(
            service: ConfigDirectory.service.replacingOccurrences(
                of: "secret_env: DEFAULT_SECRET",
                with: "secret_file: secret.txt"
            ),
            repos: [
                "a.yaml":
                    "repository: github.com/a/b\nroutes:\n  - branches: [main]\n    workspace: w\n    template: t\n"
            ]
        )
        defer { directory.remove() }
        try "from-file\n".write(toFile: directory.path + "/secret.txt", atomically: true, encoding: .utf8)
        let config = try ConfigLoader(directory: directory.path, environment: ConfigDirectory.environment).load()
        #expect(config.repositories[0].secrets == [WebhookSecret("from-file")])
    }

    @Test func secretsNeverShowInDescriptions() {
        let secret = WebhookSecret("hunter2")
        #expect("\(secret)" == "<secret>")
        #expect(!"\([secret])".contains("hunter2"))
    }
}

/// The example config in `config/` must stay valid: the README starts `serve` on it.
struct ExampleConfigTests {
    @Test func shippedExampleConfigLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let environment = ["WEBHOOK_SECRET": "dev-secret", "TERRAKUBE_TOKEN": "dev-token"]
        let config = try ConfigLoader(directory: root.appendingPathComponent("config").path, environment: environment)
            .load()
        #expect(
            config.repositories.map(\.identity.description).sorted() == [
                "github.com/acme/infra", "gitlab.com/acme/platform/network",
            ]
        )
        #expect(config.warnings.isEmpty)
    }
}

struct RepositoryOptionTests {
    @Test func readsProviderOptionsAndOnDelete() throws {
        let directory = try ConfigDirectory(
            service: ConfigDirectory.service,
            repos: [
                "env.yaml": """
                repository: github.com/acme/envs
                allow_sha1_signature: true
                honor_skip_ci: false
                routes:
                  - branches: ["env/*"]
                    workspace: ws
                    template: tpl-apply
                    on_delete:
                      template: tpl-destroy
                """
            ]
        )
        defer { directory.remove() }
        let repository = try #require(
            try ConfigLoader(directory: directory.path, environment: ConfigDirectory.environment).load().repositories
                .first
        )
        #expect(repository.signatureOptions.allowSHA1)
        #expect(!repository.honorSkipCI)
        #expect(repository.routes.first?.onDeleteTemplate == "tpl-destroy")
    }

    @Test func reportsABadOnDelete() throws {
        let problems = try ConfigLoaderTests.problems(repos: [
            "env.yaml": """
            repository: github.com/acme/envs
            routes:
              - branches: ["env/*"]
                workspace: ws
                template: tpl
                on_delete:
                  workspace: other
            """
        ])
        #expect(
            problems == [
                "repos/env.yaml:7: unknown key 'workspace' (expected one of: template, template_name)",
                "repos/env.yaml:7: no 'template' (the Terrakube template id) or 'template_name'",
            ]
        )
    }
}

struct AmbiguousPathTests {
    @Test func warnsWhenAPathIsConfiguredOnTwoHosts() throws {
        let repo = "repository: REPO\nroutes:\n  - branches: [main]\n    workspace: w\n    template: t\n"
        let problems = try ConfigLoaderTests.problems(repos: [
            "a.yaml": repo.replacingOccurrences(of: "REPO", with: "https://bitbucket.one.example/scm/prj/repo.git"),
            "b.yaml": repo.replacingOccurrences(of: "REPO", with: "https://bitbucket.two.example/scm/prj/repo.git"),
        ])
        #expect(problems.count == 1)
        #expect(
            problems.first?.hasPrefix(
                "repos/b.yaml:1: warning: path prj/repo is also configured for bitbucket.one.example"
            ) == true
        )
    }
}

/// The configs shipped in `deploy/` load as `serve` would load them: the compose directory as is, and the
/// Kubernetes ConfigMap laid out as its volume items mount it.
struct DeployConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let environment = [
        "WEBHOOK_SECRET": "dev-secret", "TERRAKUBE_TOKEN": "dev-token", "GITHUB_TOKEN": "dev-github-token",
        "PUSHRELAY_POSTGRES_URL": "postgres://pushrelay:pw@db.example.com:5432/pushrelay?sslmode=verify-full",
    ]

    /// Docker cannot run on CI machines, so check what it would need: every folder a target lives in is
    /// copied into the build stage (a missing one fails `swift build` there).
    @Test func dockerfileCopiesEveryTargetFolder() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let dockerfile = try String(
            contentsOf: Self.root.appendingPathComponent("deploy/Dockerfile"),
            encoding: .utf8
        )
        var folders: Set<String> = ["Sources"]
        for line in manifest.split(separator: "\n") where line.contains("path: \"") {
            let path = line.split(separator: "\"")[1]
            folders.insert(String(path.split(separator: "/")[0]))
        }
        #expect(folders.count > 1)
        for folder in folders {
            #expect(dockerfile.contains("COPY \(folder) ./\(folder)"), "\(folder) is not copied")
        }
    }

    @Test func composeConfigLoads() throws {
        let config = try ConfigLoader(
            directory: Self.root.appendingPathComponent("deploy/compose").path,
            environment: Self.environment
        ).load()
        #expect(config.settings.terrakube.url == "http://terrakube-api:8080")
        #expect(config.repositories.count == 1)
        #expect(config.needsNameResolution)
    }

    @Test(arguments: ["kubernetes", "kubernetes-postgres"])
    func kubernetesConfigMapLoadsAsMounted(_ variant: String) throws {
        let text = try String(
            contentsOf: Self.root.appendingPathComponent("deploy/\(variant)/configmap.yaml"),
            encoding: .utf8
        )
        let data = try #require((try Yams.load(yaml: text) as? [String: Any])?["data"] as? [String: String])
        let deployment = try String(
            contentsOf: Self.root.appendingPathComponent("deploy/\(variant)/deployment.yaml"),
            encoding: .utf8
        )
        // The volume items: key -> path, as kubelet mounts them.
        let spec = try #require(
            ((try Yams.load(yaml: deployment) as? [String: Any])?["spec"] as? [String: Any])?["template"]
                as? [String: Any]
        )
        let volumes = try #require((spec["spec"] as? [String: Any])?["volumes"] as? [[String: Any]])
        let items = try #require(
            (volumes.first { $0["name"] as? String == "config" }?["configMap"] as? [String: Any])?["items"]
                as? [[String: String]]
        )
        #expect(Set(items.compactMap { $0["key"] }) == Set(data.keys))
        let directory = try ConfigDirectory(service: "", repos: [:])
        defer { directory.remove() }
        for item in items {
            let path = directory.path + "/" + item["path"]!
            try data[item["key"]!]!.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let config = try ConfigLoader(directory: directory.path, environment: Self.environment).load()
        if variant == "kubernetes" {
            #expect(config.settings.store == .sqlite("/var/lib/pushrelay/pushrelay.sqlite"))
        } else {
            guard case .postgres(let postgres) = config.settings.store else {
                Issue.record("the PostgreSQL variant's config names \(config.settings.store)")
                return
            }
            #expect(postgres.host == "db.example.com" && postgres.tls == .verifyFull && postgres.poolSize == 10)
            // Replicas recover missed pushes with a token that reads the repositories.
            #expect(config.settings.recovery?.pollSeconds == 300)
            #expect(config.settings.hosts["github.com"]?.token == APIToken("dev-github-token"))
            #expect(config.warnings.isEmpty, "\(config.warnings)")
        }
        #expect(config.repositories.map(\.identity.description) == ["github.com/acme/infra"])
    }
}
