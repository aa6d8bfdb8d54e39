import PushRelayCore

/// How `replay` prints an evaluation or an answer.
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

    /// `file: 202 queued, 1 job (delivery ID)`, `file: 401 error: reason`, `file: no answer: reason`.
    static func text(_ answer: ReplayAnswer, file: String, request: ReplayRequest) -> String {
        var line = "\(file): \(answer.label)"
        if let jobs = answer.jobs { line += ", \(jobs) job\(jobs == 1 ? "" : "s")" }
        if let reason = answer.reason { line += ": \(reason)" }
        return line + " (\(request.provider.rawValue) delivery \(request.deliveryID))"
    }

    static func json(_ answer: ReplayAnswer, file: String, request: ReplayRequest) -> String {
        let optional = { (text: String?) in text.map(JSONText.quote) ?? "null" }
        return JSONText.object([
            ("file", JSONText.quote(file)), ("provider", JSONText.quote(request.provider.rawValue)),
            ("delivery", JSONText.quote(request.deliveryID)),
            ("http_status", answer.httpStatus.map(String.init) ?? "null"),
            ("status", JSONText.quote(answer.status)), ("reason", optional(answer.reason)),
            ("jobs", answer.jobs.map(String.init) ?? "null"),
        ])
    }
}
