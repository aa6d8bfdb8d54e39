import Foundation

extension ConfigLoader {
    private static let statusKeys: Set<String> = [
        "context", "hosts", "poll_seconds", "approval_poll_seconds", "summary",
    ]

    /// `status`, checked against `terrakube.ui_url` (its run links); `nil` when absent or wrong. Its old
    /// `hosts` table is read into `hosts` with a warning (``hosts(_:problems:)``).
    func status(
        _ fields: YAMLFields,
        uiURL: String?,
        hosts: inout [String: GitHost],
        problems: inout [ConfigProblem]
    ) -> StatusSettings? {
        guard let section = fields.mapping("status", problems: &problems) else { return nil }
        section.reportUnknownKeys(allowed: Self.statusKeys, problems: &problems)
        let before = problems.count
        if uiURL == nil {
            problems.append(
                fields.problem(
                    "status",
                    "'status' needs 'terrakube.ui_url' (Terrakube's UI, which each status links to)"
                )
            )
        }
        let context = section.string("context", problems: &problems) ?? "pushrelay"
        if context.isEmpty || context.contains(where: \.isNewline) {
            problems.append(section.problem("context", "'context' must be a non-empty name on one line"))
        }
        if section.has("hosts") {
            if fields.has("hosts") {
                problems.append(section.problem("hosts", "give 'hosts' or 'status.hosts', not both"))
            } else {
                problems.append(
                    section.problem(
                        "hosts",
                        "'status.hosts' is now the top-level 'hosts' section: move it there",
                        severity: .warning
                    )
                )
                hosts = self.hostEntries(section, problems: &problems)
            }
        }
        if hosts.isEmpty && !section.has("hosts") && !fields.has("hosts") {
            problems.append(section.problem("status", "missing 'hosts' (each Git host to post statuses to)"))
        }
        guard problems.count == before || !problems[before...].contains(where: { $0.severity == .error }) else {
            return nil
        }
        var settings = StatusSettings(context: context)
        settings.pollSeconds = section.double("poll_seconds", range: 0.05...3600, problems: &problems) ?? 5
        settings.approvalPollSeconds =
            section.double("approval_poll_seconds", range: 0.05...3600, problems: &problems) ?? 30
        settings.summary = section.bool("summary", problems: &problems) ?? false
        return settings
    }
}
