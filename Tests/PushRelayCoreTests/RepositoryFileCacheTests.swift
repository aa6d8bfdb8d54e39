import Foundation
import PushRelayCore
import Testing

/// A reload parses only the repository files that changed, and still sees every change: an edited file, a
/// removed one, a rotated secret file, a new default secret.
struct RepositoryFileCacheTests {
    static func repository(_ name: String, branch: String = "main", secret: String? = nil) -> String {
        """
        repository: github.com/acme/\(name)
        \(secret ?? "")
        routes:
          - branches: ["\(branch)"]
            workspace: ws-\(name)
            template: tpl
        """
    }

    @Test func onlyChangedFilesAreParsedAndEveryChangeIsSeen() throws {
        let directory = try ConfigDirectory(
            service: ConfigDirectory.service,
            repos: [
                "a.yaml": Self.repository("a"), "b.yaml": Self.repository("b"),
                "c.yaml": Self.repository("c", secret: "secret_file: c.secret"),
            ]
        )
        defer { directory.remove() }
        try "c-secret-1".write(toFile: directory.path + "/c.secret", atomically: true, encoding: .utf8)
        let cache = RepositoryFileCache()
        let loader = ConfigLoader(directory: directory.path, environment: ConfigDirectory.environment, cache: cache)
        let first = try loader.load()
        #expect(cache.parsed == 3)
        #expect(first.repositories.count == 3)

        // Nothing changed: only the file with a secret file is parsed again.
        #expect(try loader.load() == first)
        #expect(cache.parsed == 4)

        // One edit: that file, and the one with a secret file.
        try Self.repository("a", branch: "release").write(
            toFile: directory.path + "/repos/a.yaml",
            atomically: true,
            encoding: .utf8
        )
        try "c-secret-2".write(toFile: directory.path + "/c.secret", atomically: true, encoding: .utf8)
        let second = try loader.load()
        #expect(cache.parsed == 6)
        #expect(
            second.repositories.first { $0.file.hasSuffix("a.yaml") }?.routes.first?.branches?.matches("release")
                == true
        )
        #expect(second.repositories.first { $0.file.hasSuffix("c.yaml") }?.secrets == [WebhookSecret("c-secret-2")])

        // A removed file is gone; a new default secret reaches every file without its own.
        try FileManager.default.removeItem(atPath: directory.path + "/repos/b.yaml")
        var environment = ConfigDirectory.environment
        environment["DEFAULT_SECRET"] = "default-2"
        let third = try ConfigLoader(directory: directory.path, environment: environment, cache: cache).load()
        #expect(third.repositories.map { ($0.file as NSString).lastPathComponent } == ["a.yaml", "c.yaml"])
        #expect(third.repositories.first { $0.file.hasSuffix("a.yaml") }?.secrets == [WebhookSecret("default-2")])
        #expect(cache.count == 1)
    }

    /// A file's problems come back from the cache as they were found.
    @Test func aBrokenFileKeepsReportingItsProblem() throws {
        let directory = try ConfigDirectory(
            service: ConfigDirectory.service,
            repos: ["a.yaml": "repository: github.com/acme/a\nroutes: [\n"]
        )
        defer { directory.remove() }
        let cache = RepositoryFileCache()
        let loader = ConfigLoader(directory: directory.path, environment: ConfigDirectory.environment, cache: cache)
        let (_, first) = loader.validate()
        let (_, again) = loader.validate()
        #expect(!first.isEmpty)
        #expect(again == first)
        #expect(cache.parsed == 1)
    }
}
