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
