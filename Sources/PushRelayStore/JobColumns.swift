import PushRelayCore

/// A job's fields as store columns, in one order: the one place their names are written, for both stores.
enum JobColumns {
    static let spec: [(name: String, field: any WritableKeyPath<JobSpec, String> & Sendable)] = [
        ("organization", \.organization), ("workspace", \.workspace), ("template", \.template),
        ("override_branch", \.overrideBranch), ("commit_id", \.commitID), ("via", \.via),
    ]

    /// `organization, workspace, …`, optionally each prefixed (`j.organization, …`).
    static func names(prefix: String = "") -> String {
        self.spec.map { prefix + $0.name }.joined(separator: ", ")
    }

    /// The spec's values in column order.
    static func values(_ spec: JobSpec) -> [String] {
        self.spec.map { spec[keyPath: $0.field] }
    }

    /// A spec read back column by column; `text` throws for a column that is missing or not text.
    static func spec(_ text: (String) throws -> String) rethrows -> JobSpec {
        var spec = JobSpec(organization: "", workspace: "", template: "", overrideBranch: "", commitID: "", via: "")
        for column in self.spec { spec[keyPath: column.field] = try text(column.name) }
        return spec
    }
}
