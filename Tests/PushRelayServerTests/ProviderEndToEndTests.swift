import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayStore
import PushRelayTestSupport
import Testing

/// Gitea, Bitbucket and Azure DevOps through the real server: each signed (or authenticated) push becomes
/// exactly the SPEC job; a wrong signature is 401; a deletion is ignored or routed by `on_delete`.
@Suite(.timeLimit(.minutes(2)))
struct ProviderEndToEndTests {
    struct Case: Sendable, CustomStringConvertible {
        var folder: String
        var name: String
        var path: String
        var headers: @Sendable ([UInt8], String) -> [(String, String)]
        var workspace: String
        var branch: String
        var commit: String
        var via: String

        var description: String { "\(self.folder)/\(self.name)" }
    }

    static func hex(_ body: [UInt8], _ secret: String) -> String {
        String(HMACSignature.sign(body: body, secret: WebhookSecret(secret)).dropFirst("sha256=".count))
    }

    static let cases: [Case] = [
        Case(
            folder: "gitea",
            name: "gitea-docs-push",
            path: "/hooks/gitea",
            headers: { body, id in
                [
                    ("X-Gitea-Event", "push"), ("X-GitHub-Event", "push"), ("X-Gitea-Delivery", id),
                    ("X-Gitea-Signature", hex(body, "gitea-secret")),
                ]
            },
            workspace: "ws-gitea",
            branch: "develop",
            commit: "bffeb74224043ba2feb48d137756c8a9331c449a",
            via: "Gitea"
        ),
        Case(
            folder: "bitbucket-cloud",
            name: "go-scm-push",
            path: "/hooks/bitbucket",
            headers: { body, id in
                [
                    ("X-Event-Key", "repo:push"), ("X-Request-UUID", id),
                    ("X-Hub-Signature", "sha256=" + hex(body, "bb-secret")),
                ]
            },
            workspace: "ws-bb",
            branch: "master",
            commit: "141977fedf5cf35aa290ac87d4b5177ac4cd9de1",
            via: "Bitbucket"
        ),
        Case(
            folder: "bitbucket-server",
            name: "go-scm-push-tag-create",
            path: "/hooks",
            headers: { body, id in
                [
                    ("X-Event-Key", "repo:refs_changed"), ("X-Request-Id", id),
                    ("X-Hub-Signature", "sha256=" + hex(body, "bb-secret")),
                ]
            },
            workspace: "ws-bbs",
            branch: "refs/tags/v1.1.0",
            commit: "823b2230a56056231c9425d63758fa87078a66b4",
            via: "Bitbucket"
        ),
        Case(
            folder: "azure-devops",
            name: "msdocs-git-push",
            path: "/hooks/azure-devops",
            headers: { _, _ in
                [
                    ("Authorization", "Basic " + Data("pushrelay:az-secret".utf8).base64EncodedString()),
                    ("X-Vss-ActivityId", "a"),
                ]
            },
            workspace: "ws-azure",
            branch: "master",
            commit: "33b55f7cb7e7e245323987634f960cf4a6e6bc74",
            via: "AzureDevops"
        ),
    ]

    @Test(arguments: Self.cases)
    func signedPushCreatesTheSpecJob(_ scenario: Case) async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load(scenario.folder, scenario.name).body
            let answer = try await relay.post(
                scenario.path,
                headers: scenario.headers(body, "p-\(scenario.folder)"),
                body: body
            )
            #expect(answer.status == 202, "\(answer.body)")
            #expect(answer.body["jobs"] as? Int == 1)
            #expect(try await relay.eventually { relay.standIn.createdJobs.count == 1 })
            let expected = TerrakubeJobDocument(
                JobSpec(
                    organization: RelayHarness.organization,
                    workspace: scenario.workspace,
                    template: "tpl-apply",
                    overrideBranch: scenario.branch,
                    commitID: scenario.commit,
                    via: scenario.via
                )
            ).encoded()
            #expect(relay.standIn.requests.first?.body == expected)
            #expect(relay.standIn.requests.first?.path == "/api/v1/organization/org-1/job")
        }
    }

    @Test(arguments: Self.cases)
    func wrongSecretIs401(_ scenario: Case) async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load(scenario.folder, scenario.name).body
            // Signed over other bytes: the signature (or password) no longer matches.
            var headers = scenario.headers(body + [32], "w-\(scenario.folder)")
            if scenario.folder == "azure-devops" {
                headers = [("Authorization", "Basic " + Data("pushrelay:guess".utf8).base64EncodedString())]
            }
            let answer = try await relay.post(scenario.path, headers: headers, body: body)
            #expect(answer.status == 401)
            // Nothing stored, so nothing can ever be sent: no need to wait and see.
            #expect(try await relay.store.jobCounts().isEmpty)
            #expect(relay.standIn.requests.isEmpty)
        }
    }

    @Test func bitbucketBranchDeletionRunsOnDelete() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("bitbucket-cloud", "go-scm-push-branch-delete").body
            let headers = [
                ("X-Event-Key", "repo:push"), ("X-Request-UUID", "del-bb"),
                ("X-Hub-Signature", "sha256=" + Self.hex(body, "bb-secret")),
            ]
            let answer = try await relay.post("/hooks/bitbucket", headers: headers, body: body)
            #expect(answer.status == 202)
            #expect(try await relay.eventually { relay.standIn.createdJobs.count == 1 })
            let attributes =
                (relay.standIn.requests.first?.json?["data"] as? [String: Any])?["attributes"] as? [String: Any]
            #expect(attributes?["templateReference"] as? String == "tpl-destroy")
            #expect(attributes?["overrideBranch"] as? String == "develop")
        }
    }

    @Test func giteaDeleteEventIsIgnoredWithoutOnDelete() async throws {
        try await RelayHarness.run { relay in
            let body = Fixture.load("gitea", "go-scm-delete-branch").body  // gogits/hello-world: not configured
            let headers = [
                ("X-Gitea-Event", "delete"), ("X-Gitea-Delivery", "del-g"),
                ("X-Gitea-Signature", Self.hex(body, "default-secret")),
            ]
            let answer = try await relay.post("/hooks/gitea", headers: headers, body: body)
            #expect(answer.status == 200)
            #expect(answer.body["status"] as? String == "ignored")
        }
    }
}
