import CryptoExtras
import Foundation

extension ConfigLoader {
    private static let hostKeys: Set<String> = ["kind", "api_url", "git_url", "token_env", "token_file", "app"]

    /// The top-level `hosts` section: each Git host PushRelay calls, keyed by host name (lower case).
    func hosts(_ fields: YAMLFields, problems: inout [ConfigProblem]) -> [String: GitHost] {
        guard fields.has("hosts") else { return [:] }
        return self.hostEntries(fields, problems: &problems)
    }

    /// The entries of the `hosts` mapping of `fields` (the top level, or the old `status`).
    func hostEntries(_ fields: YAMLFields, problems: inout [ConfigProblem]) -> [String: GitHost] {
        var hosts: [String: GitHost] = [:]
        guard let table = fields.mapping("hosts", problems: &problems) else { return hosts }
        for name in table.keys {
            guard let entry = table.mapping(name, problems: &problems) else { continue }
            if let host = self.host(entry, name: name, problems: &problems) { hosts[name.lowercased()] = host }
        }
        return hosts
    }

    private func host(_ entry: YAMLFields, name: String, problems: inout [ConfigProblem]) -> GitHost? {
        entry.reportUnknownKeys(allowed: Self.hostKeys, problems: &problems)
        guard let text = entry.string("kind", problems: &problems) else {
            if !entry.has("kind") {
                problems.append(.init(file: entry.file, line: entry.line, message: "missing 'kind' for host \(name)"))
            }
            return nil
        }
        guard let kind = GitHostKind(rawValue: text) else {
            let kinds = GitHostKind.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append(entry.problem("kind", "unknown kind '\(text)'; one of \(kinds)"))
            return nil
        }
        let apiURL = self.webURL(entry, key: "api_url", problems: &problems) ?? kind.defaultAPIURL
        let gitURL = self.webURL(entry, key: "git_url", problems: &problems)
        // Gogs has no status, compare or hooks API that PushRelay calls: Git over HTTPS is enough.
        if apiURL == nil, kind != .gogs, !entry.has("api_url") {
            problems.append(entry.problem("kind", "\(kind.rawValue) has no public API: give 'api_url'"))
        }
        var app: GitHubAppSettings?
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
        guard apiURL != nil || kind == .gogs, token != nil || app != nil else { return nil }
        return GitHost(
            kind: kind,
            apiURL: apiURL ?? "",
            token: token.map { APIToken(String(decoding: $0.bytes, as: UTF8.self)) },
            app: app,
            gitURL: gitURL
        )
    }

    /// An `http(s)://` URL under `key`, without its trailing slashes; `nil` when absent or wrong.
    private func webURL(_ entry: YAMLFields, key: String, problems: inout [ConfigProblem]) -> String? {
        guard var url = entry.string(key, problems: &problems) else { return nil }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            problems.append(entry.problem(key, "'\(key)' must start with https:// or http://"))
            return nil
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    private func gitHubApp(
        _ section: YAMLFields,
        kind: GitHostKind,
        problems: inout [ConfigProblem]
    ) -> GitHubAppSettings? {
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
        return GitHubAppSettings(id: id, privateKeyFile: full)
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
