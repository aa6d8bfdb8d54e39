import Foundation
import PushRelayCore

/// How `deliveries list` and `show` print what the store holds.
enum DeliveryReport {
    static func table(_ deliveries: [DeliverySummary]) -> String {
        var rows = [["RECEIVED", "PROVIDER", "DELIVERY", "REPOSITORY", "REF", "DECISION", "JOBS"]]
        for delivery in deliveries {
            rows.append(
                [
                    SavedDelivery.timestamp(delivery.receivedAt), delivery.provider.rawValue, delivery.deliveryID,
                    delivery.repository ?? "-", delivery.ref ?? "-", delivery.decision,
                    delivery.jobs.isEmpty ? "-" : delivery.jobs.map(self.jobCell).joined(separator: ", "),
                ].map(TerminalText.escaped)
            )
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).enumerated().map { index, cell in
                index == row.count - 1 ? cell.0 : cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    private static func jobCell(_ job: JobRecord) -> String {
        job.terrakubeJobID.map { "\(job.state.rawValue) #\($0)" } ?? job.state.rawValue
    }

    static func json(_ delivery: DeliverySummary) -> String {
        let jobs = delivery.jobs.map { job in
            JSONText.object([
                ("workspace", JSONText.quote(job.spec.workspace)), ("template", JSONText.quote(job.spec.template)),
                ("state", JSONText.quote(job.state.rawValue)), ("attempts", String(job.attempts)),
                ("terrakube_job", job.terrakubeJobID.map(JSONText.quote) ?? "null"),
                ("last_error", job.lastError.map(JSONText.quote) ?? "null"),
            ])
        }
        return JSONText.object([
            ("received_at", JSONText.quote(SavedDelivery.timestamp(delivery.receivedAt))),
            ("provider", JSONText.quote(delivery.provider.rawValue)),
            ("delivery", JSONText.quote(delivery.deliveryID)), ("event", JSONText.quote(delivery.event)),
            ("repository", delivery.repository.map(JSONText.quote) ?? "null"),
            ("ref", delivery.ref.map(JSONText.quote) ?? "null"), ("decision", JSONText.quote(delivery.decision)),
            ("reason", JSONText.quote(delivery.reason)), ("signature", JSONText.quote(delivery.signature)),
            ("jobs", "[" + jobs.joined(separator: ",") + "]"),
        ])
    }

    /// Header values that prove authenticity are shown as present, not printed.
    private static let maskedHeaders: Set<String> = [
        "x-hub-signature", "x-hub-signature-256", "x-gitea-signature", "x-gogs-signature", "x-forgejo-signature",
        "webhook-signature",
    ]

    /// Every value in it is escaped (``TerminalText``): much of it is the sender's text.
    static func detail(_ stored: StoredDelivery) -> String {
        let delivery = stored.summary
        let shown = TerminalText.escaped
        var lines = [
            "delivery:   \(delivery.provider.rawValue):\(shown(delivery.deliveryID))",
            "received:   \(SavedDelivery.timestamp(delivery.receivedAt))",
            "event:      \(shown(delivery.event))",
            "repository: \(shown(delivery.repository ?? "-"))",
            "ref:        \(shown(delivery.ref ?? "-"))",
            "signature:  \(delivery.signature)",
            "decision:   \(delivery.decision): \(shown(delivery.reason))",
            // Every webhook has a body: an empty one was not kept (a repository no config names).
            stored.body.isEmpty
                ? "body:       not kept (no config names the repository)" : "body:       \(stored.body.count) bytes",
            "headers:",
        ]
        for header in stored.headers {
            let value = self.maskedHeaders.contains(header.name.lowercased()) ? "(present, not shown)" : header.value
            lines.append("  \(shown(header.name)): \(shown(value))")
        }
        lines.append("jobs:")
        if delivery.jobs.isEmpty { lines.append("  none") }
        for job in delivery.jobs {
            let id = job.terrakubeJobID.map { ", Terrakube job \(shown($0))" } ?? ""
            lines.append(
                "  - workspace \(shown(job.spec.workspace)), template \(shown(job.spec.template)), "
                    + "branch \(shown(job.spec.overrideBranch)): "
                    + "\(job.state.rawValue)\(id), \(job.attempts) attempt\(job.attempts == 1 ? "" : "s")"
            )
            if let error = job.lastError, job.state != .created { lines.append("    last error: \(shown(error))") }
            for attempt in job.history {
                let status = attempt.status.map { " HTTP \($0)" } ?? ""
                lines.append(
                    "    \(SavedDelivery.timestamp(attempt.at)) \(attempt.outcome)\(status) \(shown(attempt.detail ?? ""))"
                )
            }
        }
        return lines.joined(separator: "\n")
    }
}
