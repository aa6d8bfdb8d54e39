import Foundation
import PushRelayCore

/// One function that reads untrusted bytes, driven by libFuzzer (`Fuzz/run.sh`) and by the regression
/// tests that replay every input a fuzzer once crashed on (`Fuzz/regressions/<name>/`).
package struct FuzzTarget: Sendable {
    package var name: String
    package var run: @Sendable ([UInt8]) -> Void

    package static let all: [FuzzTarget] =
        ProviderKind.allCases.map(Self.provider) + [
            FuzzTarget(name: "intake", run: FuzzInputs.intake),
            FuzzTarget(name: "github-payload", run: FuzzInputs.githubPayload),
            FuzzTarget(name: "signature-headers", run: FuzzInputs.signatureHeaders),
            FuzzTarget(name: "repository-url", run: FuzzInputs.repositoryURL),
            FuzzTarget(name: "glob", run: FuzzInputs.glob),
            FuzzTarget(name: "config", run: FuzzInputs.config),
            FuzzTarget(name: "saved-delivery", run: FuzzInputs.savedDelivery),
            FuzzTarget(name: "terrakube-notification", run: FuzzInputs.terrakubeNotification),
            FuzzTarget(name: "ref-advertisement", run: FuzzInputs.refAdvertisement),
        ]

    package static func named(_ name: String) -> FuzzTarget? {
        self.all.first { $0.name == name }
    }

    /// `provider-<kind>`: the provider's reader, for each event it acts on (the first byte picks one).
    private static func provider(_ kind: ProviderKind) -> FuzzTarget {
        FuzzTarget(name: "provider-" + kind.rawValue) { data in
            let provider = WebhookProviders.provider(for: kind)
            let (headers, body) = FuzzInputs.request(kind, data)
            if let delivery = try? provider.read(headers: headers, body: body) {
                // What routing reads of an event, so the fuzzer reaches it too.
                _ = delivery.event.repositoryIdentities
            }
        }
    }
}
