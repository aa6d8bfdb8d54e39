import PushRelayCore
import Testing

/// The repository of a delivery among many configured: found by every URL form a host puts in a payload,
/// never for a near miss, whatever the number of repositories.
struct RepositoryLookupTests {
    static let count = 10_000

    static let config = RelayConfig(
        settings: ServiceSettings(
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            terrakube: .init(url: "http://127.0.0.1:9", token: "t", organization: "org"),
            store: .sqlite(":memory:"),
            defaultSecrets: []
        ),
        repositories: (0..<count).map { index in
            RepositoryConfig(
                identity: RepositoryIdentity(
                    host: index % 2 == 0 ? "github.com" : "gitlab.example.com",
                    path: "Team-\(index % 7)/Repo-\(index)"
                ),
                file: "repo-\(index).yaml",
                secrets: [],
                routes: []
            )
        }
    )

    private static func found(_ url: String) -> String? {
        guard let identity = RepositoryIdentity(normalizing: url) else { return nil }
        return Self.config.repository(for: [identity])?.file
    }

    @Test func everyRepositoryIsFoundByEachOfItsURLForms() {
        var missed: [String] = []
        for index in 0..<Self.count {
            let host = index % 2 == 0 ? "github.com" : "gitlab.example.com"
            let path = "Team-\(index % 7)/Repo-\(index)"
            let forms = [
                "https://\(host)/\(path).git", "ssh://git@\(host):22/\(path).git", "git@\(host):\(path).git",
                "https://\(host.uppercased())/\(path.lowercased())", "http://user@\(host)/\(path.uppercased())/",
            ]
            for form in forms where Self.found(form) != "repo-\(index).yaml" { missed.append(form) }
        }
        #expect(missed.isEmpty, "\(missed.prefix(5))")
    }

    @Test func nearMissesAreNotFound() {
        var found: [String] = []
        for index in stride(from: 0, to: Self.count, by: 97) {
            let host = index % 2 == 0 ? "github.com" : "gitlab.example.com"
            let other = index % 2 == 0 ? "gitlab.example.com" : "github.com"
            let path = "Team-\(index % 7)/Repo-\(index)"
            let misses = [
                "https://\(host)/\(path)x.git", "https://\(host)/\(path)/extra", "https://\(other)/\(path).git",
                "https://\(host)/Team-\((index + 1) % 7)/Repo-\(index)", "https://\(host)/Repo-\(index)",
            ]
            for miss in misses where Self.found(miss) != nil { found.append(miss) }
        }
        #expect(found.isEmpty, "\(found.prefix(5))")
    }

    /// A payload that names no host (Bitbucket Data Center) matches on the path: the first repository
    /// configured with it.
    @Test func aPathAloneFindsTheFirstRepositoryWithIt() {
        let pathOnly = RepositoryIdentity(host: "", path: "team-3/repo-10")
        #expect(Self.config.repository(for: [pathOnly])?.file == "repo-10.yaml")
        #expect(Self.config.repository(for: [RepositoryIdentity(host: "", path: "team-3/repo-11")]) == nil)
    }
}
