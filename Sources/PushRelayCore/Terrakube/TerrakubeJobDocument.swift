import Foundation

/// The JSON:API body of `POST /api/v1/organization/{org}/job` (SPEC section 5), and nothing else:
/// Terrakube answers 400 to an attribute it does not know.
package struct TerrakubeJobDocument: Codable, Equatable, Sendable {
    package struct Resource: Codable, Equatable, Sendable {
        package var type: String
        package var attributes: Attributes
        package var relationships: Relationships
    }

    package struct Attributes: Codable, Equatable, Sendable {
        package var templateReference: String
        package var overrideBranch: String
        /// Absent where the payload names no commit (a Gogs pull request, a deletion of an unknown branch).
        package var commitId: String?
        package var via: String
    }

    package struct Relationships: Codable, Equatable, Sendable {
        package var workspace: ToOne
    }

    package struct ToOne: Codable, Equatable, Sendable {
        package var data: Identifier
    }

    package struct Identifier: Codable, Equatable, Sendable {
        package var type: String
        package var id: String
    }

    package var data: Resource

    package init(_ job: JobSpec) {
        self.data = Resource(
            type: "job",
            attributes: Attributes(
                templateReference: job.template,
                overrideBranch: job.overrideBranch,
                commitId: job.commitID.isEmpty ? nil : job.commitID,
                via: job.via
            ),
            relationships: Relationships(workspace: ToOne(data: Identifier(type: "workspace", id: job.workspace)))
        )
    }

    /// The request path below the API host.
    package static func path(organization: String) -> String {
        "/api/v1/organization/\(Self.escapePathSegment(organization))/job"
    }

    /// The body in the order SPEC section 5 shows it.
    package func encoded() -> [UInt8] {
        let attributes = self.data.attributes
        let workspace = self.data.relationships.workspace.data
        let text = JSONText.object([
            (
                "data",
                JSONText.object([
                    ("type", JSONText.quote(self.data.type)),
                    (
                        "attributes",
                        JSONText.object(
                            [
                                ("templateReference", JSONText.quote(attributes.templateReference)),
                                ("overrideBranch", JSONText.quote(attributes.overrideBranch)),
                            ] + (attributes.commitId.map { [("commitId", JSONText.quote($0))] } ?? [])
                                + [("via", JSONText.quote(attributes.via))]
                        )
                    ),
                    (
                        "relationships",
                        JSONText.object([
                            (
                                "workspace",
                                JSONText.object([
                                    (
                                        "data",
                                        JSONText.object([
                                            ("type", JSONText.quote(workspace.type)),
                                            ("id", JSONText.quote(workspace.id)),
                                        ])
                                    )
                                ])
                            )
                        ])
                    ),
                ])
            )
        ])
        return Array(text.utf8)
    }

    private static func escapePathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? text
    }
}
