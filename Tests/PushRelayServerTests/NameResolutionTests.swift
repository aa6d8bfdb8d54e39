import AsyncHTTPClient
import Foundation
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayTestSupport
import Testing

/// Names in the config resolved through the Terrakube stand-in's lookups, as `serve` and `check --online` do.
struct NameResolutionTests {
    static func config(_ terrakubeURL: String, repos: [String: String]) throws -> (RelayConfig, String) {
        let directory = NSTemporaryDirectory() + "pushrelay-names-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/repos", withIntermediateDirectories: true)
        try """
        terrakube:
          url: "\(terrakubeURL)"
          token_env: TK_TOKEN
          organization_name: acme
        secret_env: DEFAULT_SECRET
        """.write(toFile: directory + "/pushrelay.yaml", atomically: true, encoding: .utf8)
        for (name, text) in repos {
            try text.write(toFile: directory + "/repos/" + name, atomically: true, encoding: .utf8)
        }
        return (try ConfigLoader(directory: directory, environment: RelayHarness.environment).load(), directory)
    }

    static let repository = """
        repository: github.com/acme/infra
        routes:
          - branches: ["main"]
            workspace_name: prod
            template_name: "Plan and apply"
          - branches: ["env/*"]
            workspace_name: prod
            template_name: "Plan and apply"
            on_delete:
              template_name: Destroy
            pull_requests:
              template_name: Plan
        """

    static func standIn() -> TerrakubeStandIn {
        let standIn = TerrakubeStandIn(token: RelayHarness.token)
        standIn.define("organization", name: "acme", id: "org-acme")
        standIn.define("workspace", name: "prod", id: "ws-prod")
        standIn.define("template", name: "Plan and apply", id: "tpl-apply")
        standIn.define("template", name: "Destroy", id: "tpl-destroy")
        standIn.define("template", name: "Plan", id: "tpl-plan")
        return standIn
    }

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    @Test func namesResolveToIdsAndEachIsAskedOnce() async throws {
        let standIn = Self.standIn()
        try await standIn.whileRunning { url in
            let (config, directory) = try Self.config(url, repos: ["infra.yaml": Self.repository])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            #expect(config.needsNameResolution)
            let (resolved, problems) = await resolveNames(config, servicePath: "pushrelay.yaml", logger: Self.logger)
            #expect(problems.isEmpty)
            let settings = try #require(resolved?.settings)
            #expect(settings.terrakube.organization == "org-acme")
            let routes = try #require(resolved?.repositories.first?.routes)
            #expect(routes.map(\.workspace) == ["ws-prod", "ws-prod"])
            #expect(routes.map(\.template) == ["tpl-apply", "tpl-apply"])
            #expect(routes[1].onDeleteTemplate == "tpl-destroy")
            #expect(routes[1].pullRequests?.template == "tpl-plan")
            #expect(resolved?.needsNameResolution == false)
            // organization, workspace "prod", templates "Plan and apply", "Destroy" and "Plan": five lookups.
            #expect(standIn.requests.count == 5)
            #expect(standIn.requests.allSatisfy { $0.method == "GET" })
        }
    }

    @Test func anUnknownNameIsReportedAtItsRoute() async throws {
        let standIn = Self.standIn()
        try await standIn.whileRunning { url in
            let repo = Self.repository.replacingOccurrences(
                of: "workspace_name: prod\n    template_name: \"Plan and apply\"\n  - ",
                with: "workspace_name: staging\n    template_name: \"Plan and apply\"\n  - "
            )
            let (config, directory) = try Self.config(url, repos: ["infra.yaml": repo])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (resolved, problems) = await resolveNames(config, servicePath: "pushrelay.yaml", logger: Self.logger)
            #expect(resolved == nil)
            #expect(
                problems.map { $0.description.replacingOccurrences(of: directory + "/", with: "") } == [
                    "repos/infra.yaml:3: workspace 'staging' not found in Terrakube"
                ]
            )
        }
    }

    @Test func aLookupThatFailsThenSucceedsResolves() async throws {
        let standIn = Self.standIn()
        standIn.failLookups(503, 502)
        try await standIn.whileRunning { url in
            let (config, directory) = try Self.config(url, repos: ["infra.yaml": Self.repository])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let client = HTTPClient.forTerrakube(requestTimeoutSeconds: 5)
            defer { _ = client.shutdown() }
            let api = RESTTerrakubeAPI(
                client: client,
                baseURL: url,
                token: RelayHarness.token,
                timeout: .seconds(5),
                logger: Self.logger
            )
            var resolver = NameResolver(directory: api)
            resolver.retryDelay = .milliseconds(10)
            let (resolved, problems) = await resolver.resolve(config, servicePath: "pushrelay.yaml")
            #expect(problems.isEmpty)
            #expect(resolved?.settings.terrakube.organization == "org-acme")
            #expect(standIn.requests.count == 7)  // two failed tries of the first lookup, then five
        }
    }

    @Test func terrakubeDownIsReportedNotHung() async throws {
        let (config, directory) = try Self.config("http://127.0.0.1:9", repos: ["infra.yaml": Self.repository])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = HTTPClient.forTerrakube(requestTimeoutSeconds: 5)
        defer { _ = client.shutdown() }
        let api = RESTTerrakubeAPI(
            client: client,
            baseURL: "http://127.0.0.1:9",
            token: "t",
            timeout: .seconds(5),
            logger: Self.logger
        )
        var resolver = NameResolver(directory: api)
        resolver.retryDelay = .milliseconds(10)
        let (resolved, problems) = await resolver.resolve(config, servicePath: "pushrelay.yaml")
        #expect(resolved == nil)
        #expect(
            problems.map(\.description) == [
                "pushrelay.yaml: cannot resolve organization 'acme': cannot connect to Terrakube (connection refused)"
            ]
        )
    }
}
