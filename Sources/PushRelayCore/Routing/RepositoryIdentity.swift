/// A repository as `host/path`, lower-cased, with scheme, user, port, `.git` and trailing `/` dropped, so
/// that every URL form a Git host puts in a payload (https, ssh, scp-style, git://) compares equal.
///
/// A payload that names no host (some Bitbucket Data Center deliveries) gives an identity with an empty
/// `host`; it matches a configured repository on its path alone.
package struct RepositoryIdentity: Sendable, Hashable, CustomStringConvertible {
    package let host: String
    package let path: String
    /// The path as it was written, case kept: what a host's API is given (a Bitbucket Data Center project
    /// key, an Azure DevOps project). Not part of the identity.
    package let spelledPath: String

    package init(host: String, path: String) {
        self.host = host.lowercased()
        self.path = path.lowercased()
        self.spelledPath = path
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.host == rhs.host && lhs.path == rhs.path
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.host)
        hasher.combine(self.path)
    }

    package var description: String { self.host.isEmpty ? self.path : "\(self.host)/\(self.path)" }

    /// Normalises any accepted form; `nil` when the text has no path to speak of.
    package init?(normalizing text: String) {
        var rest = Substring(text.trimmingWhitespace())
        var host: Substring
        if let schemeEnd = Self.endOfScheme(rest) {
            // https://user@host:port/path, ssh://git@host:2222/path, git://host/path
            rest = rest[schemeEnd...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            host = Self.droppingPort(authority)
            rest = rest[authorityEnd...]
        } else if let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains("/") {
            // scp-style: git@host:group/repo.git
            var authority = rest[..<colon]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            host = authority
            rest = rest[rest.index(after: colon)...]
        } else {
            // host/group/repo
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            host = rest[..<slash]
            rest = rest[slash...]
        }
        var segments = rest.split(separator: "/").map(String.init)
        if var last = segments.popLast() {
            if last.lowercased().hasSuffix(".git") { last.removeLast(4) }
            if !last.isEmpty { segments.append(last) }
        }
        host = host.hasSuffix(".") ? host.dropLast() : host
        let (canonicalHost, canonicalPath) = Self.canonical(host: host.lowercased(), segments: segments)
        guard !canonicalHost.isEmpty, !canonicalPath.isEmpty else { return nil }
        self.init(host: canonicalHost, path: canonicalPath.joined(separator: "/"))
    }

    /// Reduces host-specific URL shapes to one form per repository:
    /// Bitbucket Data Center's `scm/KEY/slug` and `projects/KEY/repos/slug` to `KEY/slug`; Azure DevOps'
    /// `org/project/_git/repo`, `v3/org/project/repo` on `ssh.dev.azure.com` and `org.visualstudio.com`
    /// forms to `dev.azure.com/org/project/repo`.
    private static func canonical(host: String, segments: [String]) -> (String, [String]) {
        var host = host
        var segments = segments
        if host == "ssh.dev.azure.com", segments.first?.lowercased() == "v3" {
            host = "dev.azure.com"
            segments.removeFirst()
        } else if host.hasSuffix(".visualstudio.com") {
            segments.insert(String(host.dropLast(".visualstudio.com".count)), at: 0)
            host = "dev.azure.com"
        }
        if host == "dev.azure.com" {
            // `DefaultCollection` is the legacy collection segment; `_git` separates project and repo, and a
            // missing project means the project has the repository's name.
            if segments.count > 1, segments[1].lowercased() == "defaultcollection" { segments.remove(at: 1) }
            if let git = segments.firstIndex(of: "_git"), git + 1 < segments.count, let organization = segments.first {
                let repository = segments[git + 1]
                let project = git >= 2 ? segments[1] : repository
                segments = [organization, project, repository]
            }
            return (host, segments)
        }
        if let scm = segments.firstIndex(where: { $0.lowercased() == "scm" }), segments.count - scm == 3 {
            return (host, Array(segments.suffix(2)))
        }
        if let projects = segments.firstIndex(where: { $0.lowercased() == "projects" }),
            projects + 3 < segments.count, segments[projects + 2].lowercased() == "repos"
        {
            return (host, [segments[projects + 1], segments[projects + 3]])
        }
        return (host, segments)
    }

    /// The index just past `scheme://`, if the text starts with one (letters, digits, `+`, `-`, `.`).
    private static func endOfScheme(_ text: Substring) -> Substring.Index? {
        var index = text.startIndex
        while index < text.endIndex, let ascii = text[index].asciiValue,
            (ascii >= 97 && ascii <= 122) || (ascii >= 65 && ascii <= 90) || (ascii >= 48 && ascii <= 57)
                || ascii == 43 || ascii == 45 || ascii == 46
        {
            index = text.index(after: index)
        }
        guard index > text.startIndex, text[index...].hasPrefix("://") else { return nil }
        return text.index(index, offsetBy: 3)
    }

    private static func droppingPort(_ authority: Substring) -> Substring {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return authority[...close]
        }
        guard let colon = authority.lastIndex(of: ":") else { return authority }
        return authority[..<colon]
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
