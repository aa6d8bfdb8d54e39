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
    ///
    /// It works on the UTF-8 bytes (each payload's URLs are normalised for every delivery): every byte it
    /// looks for is ASCII, so the text between them is whole characters.
    package init?(normalizing text: String) {
        let (host, segments) = Self.parts(of: text)
        let (canonicalHost, canonicalPath) = Self.canonical(host: host, segments: segments)
        guard !canonicalHost.isEmpty, !canonicalPath.isEmpty else { return nil }
        self.init(host: canonicalHost, path: canonicalPath.joined(separator: "/"))
    }

    /// The host, lower-cased, and the path's segments of any accepted form, before host-specific shapes
    /// are reduced.
    static func parts(of text: String) -> (host: String, segments: [String]) {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, Self.isASCIIWhitespace(first) { bytes.removeFirst() }
        while let last = bytes.last, Self.isASCIIWhitespace(last) { bytes.removeLast() }
        if let first = bytes.first, let last = bytes.last, first >= 0x80 || last >= 0x80 {
            // Whitespace beyond ASCII (a no-break space pasted with the URL) is trimmed as Swift sees it.
            bytes = Array(text.trimmingWhitespace().utf8)[...]
        }
        var rest = bytes
        var host: ArraySlice<UInt8>
        if let schemeEnd = Self.endOfScheme(rest) {
            // https://user@host:port/path, ssh://git@host:2222/path, git://host/path
            rest = rest[schemeEnd...]
            let authorityEnd = rest.firstIndex(of: Self.slash) ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
            host = Self.droppingPort(authority)
            rest = rest[authorityEnd...]
        } else if let colon = rest.firstIndex(of: UInt8(ascii: ":")), !rest[..<colon].contains(Self.slash) {
            // scp-style: git@host:group/repo.git
            var authority = rest[..<colon]
            if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
            host = authority
            rest = rest[(colon + 1)...]
        } else {
            // host/group/repo
            let slash = rest.firstIndex(of: Self.slash) ?? rest.endIndex
            host = rest[..<slash]
            rest = rest[slash...]
        }
        var segments = rest.split(separator: Self.slash).map { String(decoding: $0, as: UTF8.self) }
        if var last = segments.popLast() {
            if last.utf8.count >= 4, last.utf8.suffix(4).map(\.asciiLowercased).elementsEqual(".git".utf8) {
                last = String(decoding: last.utf8.dropLast(4), as: UTF8.self)
            }
            if !last.isEmpty { segments.append(last) }
        }
        if host.last == UInt8(ascii: ".") { host = host.dropLast() }
        return (String(decoding: host, as: UTF8.self).lowercased(), segments)
    }

    private static let slash = UInt8(ascii: "/")

    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
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
    private static func endOfScheme(_ text: ArraySlice<UInt8>) -> Int? {
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard
                (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 43
                    || byte == 45 || byte == 46
            else { break }
            index += 1
        }
        guard index > text.startIndex, text[index...].starts(with: "://".utf8) else { return nil }
        return index + 3
    }

    private static func droppingPort(_ authority: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if authority.first == UInt8(ascii: "["), let close = authority.firstIndex(of: UInt8(ascii: "]")) {
            return authority[...close]
        }
        guard let colon = authority.lastIndex(of: UInt8(ascii: ":")) else { return authority }
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
