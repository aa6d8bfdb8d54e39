import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// Each input shape `replay` accepts, built from the fixtures, read back into what a listener receives.
struct ReplayInputTests {
    static let github = Fixture.load("github", "go-scm-push")
    static let gitlab = Fixture.load("gitlab", "gitlab-docs-push-hook")

    static func json(_ object: Any) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object))
    }

    static func payloadObject(_ fixture: Fixture) -> Any {
        try! JSONSerialization.jsonObject(with: Data(fixture.body))
    }

    @Test func savedDeliveryKeepsTheExactBytes() throws {
        let signature = HMACSignature.sign(body: Self.github.body, secret: WebhookSecret("topsecret"))
        let saved = SavedDelivery(
            provider: "github",
            receivedAt: Date(timeIntervalSince1970: 1_800_000_000),
            headers: ["X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": signature],
            body: Self.github.body
        )
        let input = try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "unused")
        #expect(input.format == .savedDelivery)
        #expect(input.provider == .github)
        #expect(input.body == Self.github.body)
        #expect(input.bodyIsOriginal)
        #expect(
            GitHubProvider().authenticate(
                headers: input.headers,
                body: input.body,
                secrets: [WebhookSecret("topsecret")],
                now: Date()
            ) == .valid
        )
        #expect(try GitHubProvider().read(headers: input.headers, body: input.body).deliveryID == "d-1")
    }

    /// A field that came twice is saved as the array of its values and read back as two fields, in order;
    /// one that came once stays a plain string, as SPEC section 8 shows it.
    @Test func savedDeliveryKeepsRepeatedHeaders() throws {
        let saved = SavedDelivery(
            provider: "github",
            receivedAt: Date(timeIntervalSince1970: 1_800_000_000),
            headers: ["X-GitHub-Event": "push", "X-Forwarded-For": "10.0.0.1", "X-Forwarded-For": "10.0.0.2"],
            body: Self.github.body
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(saved.encoded())) as? [String: Any])
        let headers = try #require(object["headers"] as? [String: Any])
        #expect(headers["X-GitHub-Event"] as? String == "push")
        #expect(headers["X-Forwarded-For"] as? [String] == ["10.0.0.1", "10.0.0.2"])
        let input = try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "unused")
        #expect(input.headers.fields.filter { $0.name == "X-Forwarded-For" }.map(\.value) == ["10.0.0.1", "10.0.0.2"])
        #expect(input.headers.fields.count == 3)
    }

    @Test func savedDeliveryOfBytesThatAreNotUTF8UsesBase64() throws {
        let bytes: [UInt8] = [0x7B, 0xFF, 0xFE, 0x7D]
        let saved = SavedDelivery(provider: "gitea", receivedAt: Date(), headers: [:], body: bytes)
        #expect(saved.body == nil)
        #expect(saved.body_base64 == Data(bytes).base64EncodedString())
        #expect(try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "x").body == bytes)
    }

    @Test func githubDeliveryObjectIsRead() throws {
        let object: [String: Any] = [
            "id": 12_345, "guid": "0b989ba4", "event": "push", "status_code": 200,
            "request": [
                "headers": [
                    "X-GitHub-Event": "push", "X-GitHub-Delivery": "0b989ba4", "X-Hub-Signature-256": "sha256=00",
                ],
                "payload": Self.payloadObject(Self.github),
            ],
            "response": ["headers": [:], "payload": "ok"],
        ]
        let input = try ReplayInput.read(Self.json(object), fallbackDeliveryID: "unused")
        #expect(input.format == .githubAPI)
        #expect(!input.bodyIsOriginal)
        let delivery = try GitHubProvider().read(headers: input.headers, body: input.body)
        #expect(delivery.deliveryID == "0b989ba4")
        guard case .push(let pushes) = delivery.event.kind else { throw PayloadError("not a push") }
        #expect(pushes.first?.commit == Self.github.meta.head_commit)
    }

    @Test(arguments: [true, false])
    func gitlabHookEventObjectIsRead(dataAsString: Bool) throws {
        let data: Any =
            dataAsString ? String(decoding: Self.gitlab.body, as: UTF8.self) : Self.payloadObject(Self.gitlab)
        let object: [String: Any] = [
            "id": 1, "url": "https://pushrelay.example.com/hooks/gitlab", "trigger": "push_hooks",
            "request_headers": ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "u-1"],
            "request_data": data, "response_status": "202",
        ]
        let input = try ReplayInput.read(Self.json(object), fallbackDeliveryID: "unused")
        #expect(input.format == .gitlabAPI)
        let delivery = try GitLabProvider().read(headers: input.headers, body: input.body)
        #expect(delivery.deliveryID == "u-1")
        guard case .push(let pushes) = delivery.event.kind else { throw PayloadError("not a push") }
        #expect(pushes.first?.ref.branch == "master")
    }

    @Test func barePayloadNeedsTheProviderAndSometimesTheEvent() throws {
        #expect(throws: ReplayInputError("cannot tell the provider of a bare payload: give --provider")) {
            try ReplayInput.read(Self.gitlab.body, fallbackDeliveryID: "r-1")
        }
        // GitLab names the event in the body.
        let gitlab = try ReplayInput.read(Self.gitlab.body, provider: .gitlab, fallbackDeliveryID: "r-1")
        #expect(gitlab.headers["X-Gitlab-Event"] == "Push Hook")
        #expect(try GitLabProvider().read(headers: gitlab.headers, body: gitlab.body).deliveryID == "r-1")
        // GitHub does not.
        #expect(throws: ReplayInputError("the payload does not say its event: give --event")) {
            try ReplayInput.read(Self.github.body, provider: .github, fallbackDeliveryID: "r-2")
        }
        let github = try ReplayInput.read(Self.github.body, provider: .github, event: "push", fallbackDeliveryID: "r-2")
        #expect(try GitHubProvider().read(headers: github.headers, body: github.body).eventName == "push")
        #expect(github.body == Self.github.body)
        let azure = Fixture.load("azure-devops", "msdocs-git-push")
        let azureInput = try ReplayInput.read(azure.body, provider: .azureDevOps, fallbackDeliveryID: "r-3")
        #expect(
            try AzureDevOpsProvider().read(headers: azureInput.headers, body: azureInput.body).eventName == "git.push"
        )
    }

    @Test(arguments: ["", "not json", "[1, 2]", "{\"provider\": \"github\", \"headers\": {"])
    func filesThatAreNotJSONObjectsAreRefused(_ text: String) {
        #expect(throws: ReplayInputError("not a JSON object (or truncated)")) {
            try ReplayInput.read(Array(text.utf8), provider: .github, event: "push", fallbackDeliveryID: "x")
        }
    }

    @Test func unknownSavedProviderIsRefused() {
        let saved = SavedDelivery(provider: "sourcehut", receivedAt: Date(), headers: [:], body: Array("{}".utf8))
        #expect(throws: ReplayInputError("unknown provider 'sourcehut'")) {
            try ReplayInput.read(saved.encoded(), fallbackDeliveryID: "x")
        }
    }
}
