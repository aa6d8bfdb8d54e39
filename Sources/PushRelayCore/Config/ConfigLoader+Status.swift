import CryptoExtras
import Foundation

extension ConfigLoader {
    private static let statusKeys: Set<String> = ["context", "hosts", "poll_seconds", "approval_poll_seconds"]
    private static let statusHostKeys: Set<String> = ["kind", "api_url", "token_env", "token_file", "app"]

    /// `status`, checked against `terrakube.ui_url` (its run links); `nil` when absent or wrong.
    func status(_ fields: YAMLFields, uiURL: String?, problems: inout [ConfigProblem]) -> StatusSettings? {
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
        var hosts: [String: StatusSettings.Host] = [:]
        if let table = section.mapping("hosts", problems: &problems) {
            for name in table.keys {
                guard let entry = table.mapping(name, problems: &problems) else { continue }
                if let host = self.statusHost(entry, name: name, problems: &problems) {
                    hosts[name.lowercased()] = host
                }
            }
        } else if !section.has("hosts") {
            problems.append(section.problem("status", "missing 'hosts' (each Git host to post statuses to)"))
        }
        guard problems.count == before || !problems[before...].contains(where: { $0.severity == .error }) else {
            return nil
        }
        var settings = StatusSettings(context: context, hosts: hosts)
        settings.pollSeconds = section.double("poll_seconds", range: 0.05...3600, problems: &problems) ?? 5
        settings.approvalPollSeconds =
            section.double("approval_poll_seconds", range: 0.05...3600, problems: &problems) ?? 30
        return settings
    }

    private func statusHost(_ entry: YAMLFields, name: String, problems: inout [ConfigProblem]) -> StatusSettings.Host?
    {
        entry.reportUnknownKeys(allowed: Self.statusHostKeys, problems: &problems)
        guard let text = entry.string("kind", problems: &problems) else {
            if !entry.has("kind") {
                problems.append(.init(file: entry.file, line: entry.line, message: "missing 'kind' for host \(name)"))
            }
            return nil
        }
        guard let kind = StatusHostKind(rawValue: text) else {
            let reason =
                text == "gogs"
                ? "Gogs has no commit status API; remove this host (its repositories get no statuses)"
                : "unknown kind '\(text)'; one of "
                    + StatusHostKind.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append(entry.problem("kind", reason))
            return nil
        }
        var apiURL = entry.string("api_url", problems: &problems) ?? kind.api.defaultAPIURL
        if let url = apiURL, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            problems.append(entry.problem("api_url", "'api_url' must start with https:// or http://"))
            apiURL = nil
        }
        if apiURL == nil, !entry.has("api_url") {
            problems.append(entry.problem("kind", "\(kind.rawValue) has no public API: give 'api_url'"))
        }
        var app: StatusSettings.GitHubApp?
        if let section = entry.mapping("app", problems: &problems) {
            app = self.gitHubApp(section, kind: kind, problems: &problems)
        }
        let token =
            entry.has("token_env") || entry.has("token_file")
            ? self.secrets(entry, prefix: "token", problems: &problems)?.first : nil
        if token != nil, entry.has("app") {
            problems.append(entry.problem("app", "give a token or 'app', not both"))
        } else if token == nil, !entry.has("app"), !entry.has("token_env"), !entry.has("token_file") {
            problems.append(
                .init(
                    file: entry.file,
                    line: entry.line,
                    message: "missing 'token_env' or 'token_file' for host \(name)"
                )
            )
        }
        guard var url = apiURL, token != nil || app != nil else { return nil }
        while url.hasSuffix("/") { url.removeLast() }
        return StatusSettings.Host(
            kind: kind,
            apiURL: url,
            token: token.map { APIToken(String(decoding: $0.bytes, as: UTF8.self)) },
            app: app
        )
    }

    private func gitHubApp(
        _ section: YAMLFields,
        kind: StatusHostKind,
        problems: inout [ConfigProblem]
    ) -> StatusSettings.GitHubApp? {
        section.reportUnknownKeys(allowed: ["id", "private_key_file"], problems: &problems)
        guard kind == .github else {
            problems.append(section.problem("id", "'app' is for kind github only"))
            return nil
        }
        let id = section.string("id", problems: &problems)
        let file = section.string("private_key_file", problems: &problems)
        for (key, value) in [("id", id), ("private_key_file", file)] where value == nil && !section.has(key) {
            problems.append(
                .init(file: section.file, line: section.line, message: "missing '\(key)' for the GitHub App")
            )
        }
        guard let id, let file else { return nil }
        let full = file.hasPrefix("/") ? file : self.directory + "/" + file
        guard FileManager.default.isReadableFile(atPath: full) else {
            problems.append(section.problem("private_key_file", "cannot read '\(file)'"))
            return nil
        }
        if let reason = Self.unusableKey(atPath: full) {
            problems.append(section.problem("private_key_file", "'\(file)' \(reason)"))
            return nil
        }
        return StatusSettings.GitHubApp(id: id, privateKeyFile: full)
    }

    /// Why the app's key cannot sign its JWTs, if it cannot: GitHub gives a PEM RSA key (PKCS#1); PKCS#8
    /// is taken too. The key itself is never part of the message.
    private static func unusableKey(atPath path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "is not text" }
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: text) else {
            return "is not an RSA private key in PEM (GitHub's \"Generate a private key\" gives one)"
        }
        return key.keySizeInBits < 2048 ? "is an RSA key of \(key.keySizeInBits) bits; 2048 at least" : nil
    }
}
