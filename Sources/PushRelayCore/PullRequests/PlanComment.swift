/// One workspace's plan, as the pull request's comment shows it.
package struct PlanSection: Sendable, Equatable, Codable {
    package var workspace: String
    /// Terrakube's state of the job (`running`, `completed`, `failed`, …), or `queued` before it has one.
    package var state: String
    /// The plan's summary line, or its first error; `nil` while there is none.
    package var summary: String?
    package var runURL: String?
    /// The plan's output, plain (``PlanOutput/plain(_:)``): only with `comment: full`, never for a fork.
    package var output: String?

    package init(workspace: String, state: String, summary: String? = nil, runURL: String? = nil, output: String? = nil)
    {
        self.workspace = workspace
        self.state = state
        self.summary = summary
        self.runURL = runURL
        self.output = output
    }
}

/// The one comment PushRelay keeps on a pull request (SPEC section 13): per workspace its state, summary
/// line and run link, for the head commit it names; with `comment: full`, each plan's output too, folded
/// where the host renders `<details>`, cut to fit the host's limit with a note that it was.
package enum PlanComment {
    /// The first line of every such comment.
    package static let marker = "<!-- pushrelay:plan -->"

    package static func render(head: String, sections: [PlanSection], kind: GitHostKind) -> String {
        let limit = PullRequestComment.limit(kind)
        var text = Self.marker + "\n### PushRelay plans for `\(head.prefix(12))`\n\n"
        for section in sections.sorted(by: { $0.workspace < $1.workspace }) {
            var line = "- **\(section.workspace)**: \(section.state)"
            if let summary = section.summary { line += ": `\(summary.replacingBackticks)`" }
            if let link = section.runURL { line += " ([run](\(link)))" }
            text += line + "\n"
        }
        let outputs = sections.sorted(by: { $0.workspace < $1.workspace }).compactMap { section in
            section.output.map { (section.workspace, $0) }
        }
        guard !outputs.isEmpty else { return String(text.prefix(limit)) }
        let folds = PullRequestComment.folds(kind)
        let note = "\n(cut to fit the host's limit of \(limit) characters: the whole output is in the run)\n"
        // What each block needs besides its output; what is left is shared by the outputs alike.
        let overhead = outputs.reduce(0) { total, output in
            total + Self.block(workspace: output.0, output: "", fence: "`````", folds: folds).count + note.count
        }
        let share = max(0, (limit - text.count - overhead) / outputs.count)
        for (workspace, output) in outputs {
            let (shown, cut) = PlanOutput.cut(output, limit: share)
            text += Self.block(workspace: workspace, output: shown, fence: Self.fence(for: shown), folds: folds)
            if cut { text += note }
        }
        return String(text.prefix(limit))
    }

    private static func block(workspace: String, output: String, fence: String, folds: Bool) -> String {
        let code = "\(fence)\n\(output)\n\(fence)\n"
        return folds
            ? "\n<details><summary>Output of \(workspace)</summary>\n\n\(code)\n</details>\n"
            : "\nOutput of \(workspace):\n\n\(code)"
    }

    /// A code fence longer than any run of backticks in `text`, so that the output cannot close it.
    private static func fence(for text: String) -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }
}

extension String {
    /// A summary line inside inline code: a backtick would end it.
    fileprivate var replacingBackticks: String { String(self.map { $0 == "`" ? "'" : $0 }) }
}
