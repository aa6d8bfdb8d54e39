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
