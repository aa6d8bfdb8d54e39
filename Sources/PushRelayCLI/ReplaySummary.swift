/// What a `replay` run did, counted by decision (dry run) or by answer (`--to`), and what went wrong.
struct ReplaySummary {
    private(set) var counts: [String: Int] = [:]
    var unreadable: [String] = []
    /// `--to` answers that were not 2xx, as `file (status)`.
    var refused: [String] = []

    mutating func count(_ label: String) {
        self.counts[label, default: 0] += 1
    }

    /// `replayed: 3 queue, 1 ignore; unreadable files: 0`, or `sent: 2 202 queued, …` with `--to`.
    func text(sent: Bool) -> String {
        let counts = self.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(sent ? "sent" : "replayed"): \(counts.isEmpty ? "nothing" : counts); "
            + "unreadable files: \(self.unreadable.count)"
    }

    /// Why the run exits 1, or `nil` for success.
    var failure: String? {
        var reasons: [String] = []
        if !self.unreadable.isEmpty {
            reasons.append("\(self.unreadable.count) unreadable: " + self.unreadable.joined(separator: ", "))
        }
        if !self.refused.isEmpty {
            reasons.append("\(self.refused.count) not answered 2xx: " + self.refused.joined(separator: ", "))
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
