import PushRelayCore

/// How `replay` prints an evaluation for a person.
enum ReplayReport {
    static func text(_ evaluation: ReplayEvaluation, file: String) -> String {
        var lines = [
            "\(file): \(evaluation.provider.rawValue) \(evaluation.event) \(evaluation.deliveryID) "
                + "\(evaluation.repository ?? "-") signature \(evaluation.signature)"
        ]
        for ref in evaluation.refs {
            lines.append("  \(ref.ref?.name ?? "-"): \(ref.decision.rawValue): \(ref.reason)")
            for job in ref.jobs {
                lines.append("    POST \(TerrakubeJobDocument.path(organization: job.organization))")
                lines.append("    " + String(decoding: TerrakubeJobDocument(job).encoded(), as: UTF8.self))
            }
        }
        return lines.joined(separator: "\n")
    }
}
