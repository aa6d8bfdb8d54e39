import Foundation

extension WorkKind {
    /// Create one Terrakube job (``WorkType/createTerrakubeJob``).
    package static let createTerrakubeJob: WorkKind = "terrakube.create-job"
}

extension WorkType<TerrakubeJobOrder> {
    /// Create one Terrakube job; the result is the Terrakube job id, recorded by one item at most.
    package static var createTerrakubeJob: Self { Self(.createTerrakubeJob, uniqueResults: true) }
}

/// The payload of a Terrakube job creation: the job, and where its commit status goes when it has one,
/// beside the job's own fields.
package struct TerrakubeJobOrder: Codable, Sendable, Equatable {
    package var spec: JobSpec
    package var status: StatusTarget?
    /// Where a pull request plan's state goes in the pull request's comment.
    package var comment: PlanCommentTarget?

    package init(_ spec: JobSpec, status: StatusTarget? = nil, comment: PlanCommentTarget? = nil) {
        self.spec = spec
        self.status = status
        self.comment = comment
    }

    private enum Keys: String, CodingKey { case status, comment }

    package init(from decoder: any Decoder) throws {
        self.spec = try JobSpec(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        self.status = try container.decodeIfPresent(StatusTarget.self, forKey: .status)
        self.comment = try container.decodeIfPresent(PlanCommentTarget.self, forKey: .comment)
    }

    package func encode(to encoder: any Encoder) throws {
        try self.spec.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(self.status, forKey: .status)
        try container.encodeIfPresent(self.comment, forKey: .comment)
    }

    /// Its creation, queued as it is.
    package var work: NewWork { WorkType.createTerrakubeJob.work(self) }

    /// The outcome of an attempt that created the job in Terrakube.
    package static func created(_ terrakubeJobID: String) -> WorkOutcome {
        .done(result: terrakubeJobID, label: .created, detail: "Terrakube job \(terrakubeJobID)")
    }

    /// The outcome of an uncertain attempt that found the job an earlier attempt had created.
    package static func adopted(_ terrakubeJobID: String) -> WorkOutcome {
        .done(result: terrakubeJobID, label: .adopted, detail: "Terrakube job \(terrakubeJobID)")
    }
}
