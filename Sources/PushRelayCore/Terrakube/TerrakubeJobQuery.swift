import Foundation

/// The RSQL filter that finds jobs like one PushRelay would create: same workspace, template, branch
/// and commit (`GET /api/v1/organization/{org}/job?filter[job]=…`).
package enum TerrakubeJobQuery {
    package static func filter(for job: JobSpec) -> String {
        // A job sent without a commit is looked for without one.
        ([
            "workspace.id==\(self.quote(job.workspace))",
            "templateReference==\(self.quote(job.template))",
            "overrideBranch==\(self.quote(job.overrideBranch))",
        ] + (job.commitID.isEmpty ? [] : ["commitId==\(self.quote(job.commitID))"])).joined(separator: ";")
    }

    /// The jobs with these ids, for following them (`filter[job]=id=in=('41','42')`).
    package static func filter(ids: [String]) -> String {
        "id=in=(" + ids.map(self.quote).joined(separator: ",") + ")"
    }

    /// RSQL single-quoted value: `'` and `\` escaped with a backslash.
    package static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
