import Foundation

extension WorkKind {
    /// Create one Terrakube job; the payload is its ``JobSpec``, the result the Terrakube job id.
    package static let createTerrakubeJob: WorkKind = "terrakube.create-job"
}

/// The payload of ``WorkKind/createTerrakubeJob`` items: a ``JobSpec`` as JSON, keys sorted, so that two
/// items for the same job have the same bytes (a redelivery queues one item per distinct payload).
package enum TerrakubeJobWork {
    package static func work(_ spec: JobSpec) -> NewWork {
        NewWork(kind: .createTerrakubeJob, payload: self.payload(spec))
    }

    package static func payload(_ spec: JobSpec) -> [UInt8] {
        // A JobSpec is strings only: encoding cannot fail.
        Array(try! self.encoder.encode(spec))
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
