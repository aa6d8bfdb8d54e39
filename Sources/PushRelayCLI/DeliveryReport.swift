import Foundation
import PushRelayCore

/// How `deliveries list` and `show` print what the store holds.
enum DeliveryReport {
    static func table(_ deliveries: [DeliverySummary]) -> String {
        var rows = [["RECEIVED", "PROVIDER", "DELIVERY", "REPOSITORY", "REF", "DECISION", "WORK"]]
        for delivery in deliveries {
            rows.append(
                [
                    SavedDelivery.timestamp(delivery.receivedAt), delivery.provider.rawValue, delivery.deliveryID,
                    delivery.repository ?? "-", delivery.ref ?? "-", delivery.decision,
                    delivery.work.isEmpty ? "-" : delivery.work.map(self.workCell).joined(separator: ", "),
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

    private static func workCell(_ work: WorkRecord) -> String {
        "\(work.kind) " + (self.result(of: work).map { "\(work.state.rawValue) #\($0)" } ?? work.state.rawValue)
    }

    /// An item's result as a person reads it: a status post's is what it left on the commit.
    private static func result(of work: WorkRecord) -> String? {
        guard StatusPostWork.isPost(work.kind) else { return work.result }
        return StatusPostWork.Posted(result: work.result).map { "\($0.state) \($0.description)" } ?? work.result
    }

    /// What an item is about, in its kind's words: the fields of its payload worth showing.
    private static func fields(of work: WorkRecord) -> [(name: String, value: String)] {
        switch work.kind {
        case .createTerrakubeJob:
            guard let spec = try? WorkType.createTerrakubeJob.payload(work.payload).spec else { return [] }
            return [("workspace", spec.workspace), ("template", spec.template), ("branch", spec.overrideBranch)]
        case .followTerrakubeJob:
            guard let job = try? WorkType.followTerrakubeJob.payload(work.payload) else { return [] }
            // Its end is in its history; while it runs, the state it last read.
            let seen = work.state.isFinished ? [] : [("last_seen", job.status ?? "-")]
            return [("terrakube_job", job.jobID)] + seen
        case let kind where StatusPostWork.isPost(kind):
            guard let item = try? WorkType<StatusPostWork>(kind).payload(work.payload) else { return [] }
            // The status it holds: posted if the item is done, else the one to post next.
            // A summary's text is counted when it is sent: what it last sent is its result.
            let says =
                if case .whole(let routes) = item.post.summary {
                    "the summary of \(routes.count) route\(routes.count == 1 ? "" : "s")"
                } else {
                    "\(item.post.status.state.rawValue): \(item.post.status.description)"
                }
            return [("status", item.post.context), ("commit", String(item.post.commit.prefix(12))), ("says", says)]
        default:
            return []
        }
    }

    static func json(_ delivery: DeliverySummary) -> String {
        let work = delivery.work.map { item in
            var fields: [(String, String)] = [("id", String(item.id)), ("kind", JSONText.quote(item.kind.rawValue))]
            fields += self.fields(of: item).map { ($0.name, JSONText.quote($0.value)) }
            fields.append(("parent", item.parent.map { String($0) } ?? "null"))
            fields.append(("state", JSONText.quote(item.state.rawValue)))
            fields.append(("attempts", String(item.attempts)))
            fields.append(("result", item.result.map(JSONText.quote) ?? "null"))
            fields.append(("last_error", item.lastError.map(JSONText.quote) ?? "null"))
            return JSONText.object(fields)
        }
        return JSONText.object([
            ("received_at", JSONText.quote(SavedDelivery.timestamp(delivery.receivedAt))),
            ("provider", JSONText.quote(delivery.provider.rawValue)),
            ("delivery", JSONText.quote(delivery.deliveryID)), ("event", JSONText.quote(delivery.event)),
            ("repository", delivery.repository.map(JSONText.quote) ?? "null"),
            ("ref", delivery.ref.map(JSONText.quote) ?? "null"), ("decision", JSONText.quote(delivery.decision)),
            ("reason", JSONText.quote(delivery.reason)), ("signature", JSONText.quote(delivery.signature)),
            ("work", "[" + work.joined(separator: ",") + "]"),
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
        for header in stored.headers.fields {
            let value = self.maskedHeaders.contains(header.name.lowercased()) ? "(present, not shown)" : header.value
            lines.append("  \(shown(header.name)): \(shown(value))")
        }
        lines.append("work:")
        if delivery.work.isEmpty { lines.append("  none") }
        for item in delivery.work {
            let about = self.fields(of: item).map { "\($0.name) \(shown($0.value))" }.joined(separator: ", ")
            let after = item.parent.map { ", after #\($0)" } ?? ""
            let result = Self.result(of: item).map { ", result \(shown($0))" } ?? ""
            lines.append(
                "  - #\(item.id) \(item.kind)\(about.isEmpty ? "" : " (\(about))")\(after): "
                    + "\(item.state.rawValue)\(result), \(item.attempts) attempt\(item.attempts == 1 ? "" : "s")"
            )
            if let error = item.lastError, item.state != .done { lines.append("    last error: \(shown(error))") }
            for attempt in item.history {
                let status = attempt.status.map { " HTTP \($0)" } ?? ""
                lines.append(
                    "    \(SavedDelivery.timestamp(attempt.at)) \(attempt.outcome)\(status) \(shown(attempt.detail ?? ""))"
                )
            }
        }
        return lines.joined(separator: "\n")
    }
}
