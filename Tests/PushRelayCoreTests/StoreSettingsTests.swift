import Foundation
import Testing

@testable import PushRelayCore

/// `store` and `dispatch.lease_seconds` in `pushrelay.yaml`: problems with their file and line, the URL
/// never echoed (it holds the password).
struct StoreSettingsTests {
    static let repos = [
        "infra.yaml": """
        repository: github.com/acme/infra
        routes:
          - branches: ["main"]
            workspace: ws
            template: tpl
        """
    ]

    /// The test service file, its `store` section replaced when `extra` has one.
    static func service(_ extra: String) -> String {
        let base = ConfigDirectory.service
        let withoutStore =
            extra.hasPrefix("store:")
            ? base.replacingOccurrences(of: "store:\n  sqlite: \"data/test.sqlite\"\n", with: "") : base
        return withoutStore + "\n" + extra
    }

    static func load(_ extra: String, url: String) throws -> RelayConfig {
        let directory = try ConfigDirectory(service: Self.service(extra), repos: Self.repos)
        defer { directory.remove() }
        var environment = ConfigDirectory.environment
        environment["PG_URL"] = url
        return try ConfigLoader(directory: directory.path, environment: environment).load()
    }

    static func problems(_ extra: String, url: String) throws -> [String] {
        var environment = ConfigDirectory.environment
        environment["PG_URL"] = url
        return try ConfigLoaderTests.problems(service: Self.service(extra), repos: Self.repos, environment: environment)
    }

    @Test func aPostgresURLIsReadFromTheEnvironmentWithItsSettings() throws {
        let config = try Self.load(
            "store:\n  postgres_url_env: PG_URL\n  notify: false\n  pool_size: 4",
            url: "postgres://relay:p%40ss@db.internal:6432/queue?sslmode=verify-full&sslrootcert=/etc/ca.pem"
        )
        guard case .postgres(let settings) = config.settings.store else {
            Issue.record("not the PostgreSQL store: \(config.settings.store)")
            return
        }
        #expect(settings.host == "db.internal" && settings.port == 6432 && settings.database == "queue")
        #expect(settings.user == "relay" && settings.password == "p@ss")
        #expect(settings.tls == .verifyFull && settings.rootCertificateFile == "/etc/ca.pem")
        #expect(!settings.notify && settings.poolSize == 4)
        // Printed or reflected, the settings never show the password.
        #expect(!"\(settings)".contains("p@ss") && !String(reflecting: settings).contains("p@ss"))
        #expect(!"\(config.settings)".contains("p@ss"))
    }

    @Test(arguments: [
        ("postgres://relay:secret@db/queue?sslmode=prefer", "falls back to plain text"),
        ("postgres://relay:secret@db/queue?sslmode=allow", "falls back to plain text"),
        ("postgres://relay:secret@db/queue?sslmode=sometimes", "is not one of disable, require"),
        ("mysql://relay:secret@db/queue", "must be a postgres:// URL"),
        ("postgres://relay:secret@db", "names no database"),
        ("postgres://db/queue", "names no user"),
        ("postgres://relay:secret@db/queue?target_session_attrs=any", "does not use"),
    ])
    func aBadURLIsAProblemAtItsLineWithoutTheURL(_ url: String, _ reason: String) throws {
        let problems = try Self.problems("store:\n  postgres_url_env: PG_URL", url: url)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("pushrelay.yaml:") == true)
        #expect(problems.first?.contains(reason) == true, "\(problems)")
        #expect(problems.allSatisfy { !$0.contains("secret") })
    }

    @Test func conflictingAndMisplacedStoreKeysAreProblems() throws {
        let url = "postgres://relay@127.0.0.1/queue"
        #expect(
            try Self.problems("store:\n  sqlite: a.sqlite\n  postgres_url_env: PG_URL", url: url).contains {
                $0.contains("give 'sqlite' or 'postgres_url_env', not both")
            }
        )
        #expect(
            try Self.problems("store:\n  postgres_url_env: PG_URL\n  postgres_url_file: url.txt", url: url).contains {
                $0.contains("not both")
            }
        )
        #expect(
            try Self.problems("store:\n  sqlite: a.sqlite\n  pool_size: 3", url: url).contains {
                $0.contains("'pool_size' applies to the PostgreSQL store only")
            }
        )
        #expect(
            try Self.problems("store:\n  postgres_url_env: MISSING_URL", url: url).contains {
                $0.contains("environment variable MISSING_URL is not set")
            }
        )
    }

    @Test func plainTextToAnotherHostIsAWarningAndLoopbackIsNot() throws {
        let remote = try Self.problems("store:\n  postgres_url_env: PG_URL", url: "postgres://relay@db.internal/queue")
        #expect(
            remote.count == 1 && remote.first?.contains("warning: ") == true && remote.first?.contains("TLS") == true
        )
        #expect(
            try Self.problems("store:\n  postgres_url_env: PG_URL", url: "postgres://relay@127.0.0.1/queue").isEmpty
        )
    }

    @Test func aLeaseShorterThanTwiceTheRequestTimeoutIsRefused() throws {
        let url = "postgres://relay@127.0.0.1/queue"
        let short = try Self.problems("dispatch:\n  request_timeout_seconds: 20\n  lease_seconds: 30", url: url)
        #expect(short.count == 1)
        #expect(
            short.first?.contains("'lease_seconds' (30) must be at least twice 'request_timeout_seconds' (20)") == true
        )
        let config = try Self.load("dispatch:\n  request_timeout_seconds: 20\n  lease_seconds: 45", url: url)
        #expect(config.settings.dispatch.leaseSeconds == 45)
        #expect(try Self.load("", url: url).settings.dispatch.leaseSeconds == 30)
    }
}
