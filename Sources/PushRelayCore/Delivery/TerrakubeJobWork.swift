import Foundation

extension WorkKind {
    /// Create one Terrakube job; the payload is its ``JobSpec``, the result the Terrakube job id.
    package static let createTerrakubeJob: WorkKind = "terrakube.create-job"
}

/// The payload of ``WorkKind/createTerrakubeJob`` items: a ``JobSpec`` as JSON, keys sorted, so that two
/// items for the same job have the same bytes (a redelivery queues one item per distinct payload), with
/// the job's commit status target beside its fields when it has one.
package enum TerrakubeJobWork {
    package static func work(_ spec: JobSpec, status: StatusTarget? = nil) -> NewWork {
        NewWork(kind: .createTerrakubeJob, payload: self.payload(spec, status: status))
    }

    package static func payload(_ spec: JobSpec, status: StatusTarget? = nil) -> [UInt8] {
        // Strings only: encoding cannot fail.
        Array(try! self.encoder.encode(Order(spec: spec, status: status)))
    }

    /// The job and its status target, read once.
    package static func decoded(_ payload: [UInt8]) throws -> (spec: JobSpec, status: StatusTarget?) {
        let order = try JSONDecoder().decode(Order.self, from: Data(payload))
        return (order.spec, order.status)
    }

    /// The spec's own keys, and `status` beside them.
    private struct Order: Codable {
        var spec: JobSpec
        var status: StatusTarget?

        enum Keys: String, CodingKey { case status }

        init(spec: JobSpec, status: StatusTarget?) {
            self.spec = spec
            self.status = status
        }

        init(from decoder: any Decoder) throws {
            self.spec = try JobSpec(from: decoder)
            self.status = try decoder.container(keyedBy: Keys.self).decodeIfPresent(StatusTarget.self, forKey: .status)
        }

        func encode(to encoder: any Encoder) throws {
            try self.spec.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(self.status, forKey: .status)
        }
    }

    /// The outcome of an attempt that created the job in Terrakube.
    package static func created(_ terrakubeJobID: String) -> WorkOutcome {
        .done(result: terrakubeJobID, label: "created", detail: "Terrakube job \(terrakubeJobID)")
    }

    /// The outcome of an uncertain attempt that found the job an earlier attempt had created.
    package static func adopted(_ terrakubeJobID: String) -> WorkOutcome {
        .done(result: terrakubeJobID, label: "adopted", detail: "Terrakube job \(terrakubeJobID)")
    }

    package static func spec(_ payload: [UInt8]) throws -> JobSpec {
        try JSONDecoder().decode(JobSpec.self, from: Data(payload))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
