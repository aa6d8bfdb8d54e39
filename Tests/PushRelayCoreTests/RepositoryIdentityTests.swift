import Testing

@testable import PushRelayCore

struct RepositoryIdentityTests {
    @Test(arguments: [
        "https://github.com/acme/infra",
        "https://github.com/acme/infra.git",
        "https://github.com/acme/infra/",
        "https://user:token@github.com:443/acme/infra.git",
        "http://GitHub.com/Acme/Infra",
        "git@github.com:acme/infra.git",
        "ssh://git@github.com:22/acme/infra.git",
        "ssh://git@github.com/acme/infra",
        "git://github.com/acme/infra.git",
        "github.com/acme/infra",
        "  github.com/acme/infra  ",
    ])
    func everyFormNormalisesToOneIdentity(_ url: String) {
        #expect(RepositoryIdentity(normalizing: url)?.description == "github.com/acme/infra")
    }

    @Test(arguments: [
        ("git@gitlab.example.com:group/sub/team/repo.git", "gitlab.example.com/group/sub/team/repo"),
        ("ssh://git@gitlab.example.com:2222/group/sub/repo.git", "gitlab.example.com/group/sub/repo"),
        ("https://gitlab.example.com:8443/group/sub/repo", "gitlab.example.com/group/sub/repo"),
    ])
    func gitlabSubgroupsKeepEveryGroup(url: String, expected: String) {
        #expect(RepositoryIdentity(normalizing: url)?.description == expected)
    }

    @Test(arguments: ["", "github.com", "https://github.com/", "git@github.com:", ".git"])
    func refusesTextWithoutAPath(_ text: String) {
        #expect(RepositoryIdentity(normalizing: text) == nil)
    }

    @Test func differentPathsDiffer() {
        #expect(
            RepositoryIdentity(normalizing: "github.com/acme/infra")
                != RepositoryIdentity(normalizing: "github.com/acme/infra2")
        )
        #expect(
            RepositoryIdentity(normalizing: "github.com/acme/infra")
                != RepositoryIdentity(normalizing: "gitlab.com/acme/infra")
        )
    }
}

/// The byte-level reading of a URL against the same reading done on Swift's characters, which is slower
/// but plainly right.
struct RepositoryIdentityPartsTests {
    @Test func bytesAndCharactersReadEveryFormAlike() {
        let pieces = [
            "https://", "ssh://", "git+ssh://", "git@", "user:pw@", "GitHub.com", "host.", ":22", ":", "/", "/",
            "acme", "Infra", ".git", ".GIT", "[::1]", "ü", " ", "\u{A0}", "@", "x",
        ]
        var random = SplitMix64(seed: 0x1D5)
        for _ in 0..<20_000 {
            let text = (0..<Int(random.next() % 8)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
                .joined()
            let bytes = RepositoryIdentity.parts(of: text)
            let characters = Self.parts(of: text)
            #expect(bytes.host == characters.host && bytes.segments == characters.segments, "\(text.debugDescription)")
        }
    }

    private static func parts(of text: String) -> (host: String, segments: [String]) {
        var rest = Substring(text.trimmingWhitespace())
        var host: Substring
        if let scheme = rest.firstRange(of: "://"),
            rest[..<scheme.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
            scheme.lowerBound > rest.startIndex
        {
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = authority[...close]
            } else {
                host = authority.lastIndex(of: ":").map { authority[..<$0] } ?? authority
            }
            rest = rest[authorityEnd...]
        } else if let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains("/") {
            var authority = rest[..<colon]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            host = authority
            rest = rest[rest.index(after: colon)...]
        } else {
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
        return (host.lowercased(), segments)
    }
}

struct HostSpecificIdentityTests {
    @Test(arguments: [
        ("https://bitbucket.example.com/scm/PRJ/my-repo.git", "bitbucket.example.com/prj/my-repo"),
        ("ssh://git@bitbucket.example.com:7999/prj/my-repo.git", "bitbucket.example.com/prj/my-repo"),
        ("https://bitbucket.example.com/projects/PRJ/repos/my-repo/browse", "bitbucket.example.com/prj/my-repo"),
        ("https://bitbucket.example.com/context/scm/prj/my-repo.git", "bitbucket.example.com/prj/my-repo"),
        ("https://dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
        ("https://org@dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
        ("git@ssh.dev.azure.com:v3/org/project/repo", "dev.azure.com/org/project/repo"),
        ("https://org.visualstudio.com/project/_git/repo", "dev.azure.com/org/project/repo"),
        ("https://org.visualstudio.com/DefaultCollection/project/_git/repo", "dev.azure.com/org/project/repo"),
        ("https://dev.azure.com/org/DefaultCollection/_git/repo", "dev.azure.com/org/repo/repo"),
        ("dev.azure.com/org/project/repo", "dev.azure.com/org/project/repo"),
    ])
    func reducesToOneForm(url: String, expected: String) {
        #expect(RepositoryIdentity(normalizing: url)?.description == expected)
    }

    @Test func aPathOnlyIdentityMatchesOnThePath() {
        let config = RelayConfig(
            settings: WebhookIntakeTests.config.settings,
            repositories: [
                RepositoryConfig(
                    identity: RepositoryIdentity(normalizing: "https://bitbucket.example.com/scm/prj/my-repo.git")!,
                    file: "repos/bb.yaml",
                    secrets: [WebhookSecret("s")],
                    routes: []
                )
            ]
        )
        #expect(config.repository(for: [RepositoryIdentity(host: "", path: "PRJ/my-repo")])?.file == "repos/bb.yaml")
        #expect(config.repository(for: [RepositoryIdentity(host: "", path: "prj/other")]) == nil)
    }
}
