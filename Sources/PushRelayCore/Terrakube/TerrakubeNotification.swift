import Foundation

/// A job notification from Terrakube (2.33 on, a `WEBHOOK` notification configuration): taken only as a
/// hint to read that job at once, never as its state, for a notification may come late, twice or not
/// at all (Terrakube sends none for a job's creation, nor for its 6-hour expiry).
package struct TerrakubeNotification: Sendable, Equatable {
    /// Terrakube's global job id.
    package var jobID: String

    package init(jobID: String) {
        self.jobID = jobID
    }

    /// `X-Terrakube-Signature`: the lower-case hex HMAC-SHA256 of the raw body with the signing secret,
    /// without a `sha256=` prefix.
    package static let signatureHeader = "X-Terrakube-Signature"

    package static func verify(signature: String?, body: [UInt8], secrets: [WebhookSecret]) -> SignatureCheck {
        HMACSignature.verifyBareSHA256(header: signature, body: body, secrets: secrets)
    }

    /// The job a notification names: its `jobId`, an integer (Terrakube's test send names job 0). `nil`
    /// when the body is not a JSON object with one.
    package init?(body: [UInt8]) {
        struct Fields: Decodable {
            var jobId: Int64
        }
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(body)), fields.jobId >= 0 else {
            return nil
        }
        self.jobID = String(fields.jobId)
    }
}
