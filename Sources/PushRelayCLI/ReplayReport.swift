import PushRelayCore

/// How `replay` prints an evaluation or an answer.
enum ReplayReport {
    /// The file's values are escaped (``TerminalText``): a saved delivery holds the sender's text.
    static func text(_ evaluation: ReplayEvaluation, file: String) -> String {
        let shown = TerminalText.escaped
        var lines = [
            "\(shown(file)): \(evaluation.provider.rawValue) \(shown(evaluation.event)) \(shown(evaluation.deliveryID)) "
                + "\(shown(evaluation.repository ?? "-")) signature \(evaluation.signature)"
        ]
        for ref in evaluation.refs {
            let what = ref.pullRequest.map { "pull request #\($0.number) \($0.action)" } ?? ref.ref?.name ?? "-"
            lines.append("  \(shown(what)): \(ref.decision.rawValue): \(shown(ref.reason))")
            for job in ref.jobs {
                lines.append("    POST \(TerrakubeJobDocument.path(organization: job.organization))")
                lines.append("    " + String(decoding: TerrakubeJobDocument(job).encoded(), as: UTF8.self))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `file: 202 queued, 1 job (delivery ID)`, `file: 401 error: reason`, `file: no answer: reason`.
    static func text(_ answer: ReplayAnswer, file: String, request: ReplayRequest) -> String {
        var line = "\(TerminalText.escaped(file)): \(TerminalText.escaped(answer.label))"
        if let jobs = answer.jobs { line += ", \(jobs) job\(jobs == 1 ? "" : "s")" }
        if let reason = answer.reason { line += ": \(TerminalText.escaped(reason))" }
        return line + " (\(request.provider.rawValue) delivery \(TerminalText.escaped(request.deliveryID)))"
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
