import Foundation
import Logging
import PushRelayCore
import PushRelayTestSupport
import Synchronization
import Testing

@testable import PushRelayStore

/// The URL's `sslmode` against a real server that takes TLS connections only, with a certificate made for
/// the test: what verifies, what is refused and why, and that nothing falls back to plain text.
@Suite(.serialized, .enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
struct PostgresTLSTests {
    /// One TLS-only server for the suite, and the file holding its certificate as a client's trust root.
    private static let server = Mutex<(cluster: PostgresTestCluster, rootFile: String)?>(nil)

    private static func tlsServer() throws -> (cluster: PostgresTestCluster, rootFile: String) {
        try self.server.withLock { server in
            if let server { return server }
            let certificate = try TestCertificate()
            let cluster = try PostgresTestCluster(tlsOnly: certificate)
            let rootFile = cluster.directory + "/root.crt"
            try certificate.certificatePEM.write(toFile: rootFile, atomically: true, encoding: .utf8)
            server = (cluster, rootFile)
            return (cluster, rootFile)
        }
    }

    private static func settings(_ query: String) throws -> (PostgresSettings, database: String) {
        let url = try self.tlsServer().cluster.createDatabase()
        let database = String(url.split(separator: "/").last!)
        return (try PostgresSettings.parse(url + "?" + query).get(), database)
    }

    /// Whether every connection the store holds is encrypted, as the server sees them; and how many there are.
    private static func encryptedConnections(_ database: String) throws -> String {
        try self.tlsServer().cluster.psql(
            database,
            """
            SELECT bool_and(s.ssl)::text || ' ' || count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
            WHERE a.application_name = 'pushrelay' AND a.datname = current_database()
            """
        )
    }

    @Test(arguments: ["verify-full", "verify-ca"])
    func verificationAgainstTheServersCertificateConnectsOverTLS(_ mode: String) async throws {
        let rootFile = try Self.tlsServer().rootFile
        let (settings, database) = try Self.settings("sslmode=\(mode)&sslrootcert=\(rootFile)")
        try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { store in
            #expect(try await store.record(StorePlans.plan("tls-1")) != .duplicate)
            #expect(try await store.testJobs(provider: .github, deliveryID: "tls-1").count == 1)
            let seen = try Self.encryptedConnections(database)
            #expect(seen.hasPrefix("true "), "\(seen)")
        }
    }

    @Test func requireEncryptsWithoutVerifying() async throws {
        let (settings, database) = try Self.settings("sslmode=require")
        try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { store in
            try await store.checkWritable()
            let seen = try Self.encryptedConnections(database)
            #expect(seen.hasPrefix("true "), "\(seen)")
        }
    }

    @Test func aCertificateNoTrustedRootSignedIsRefusedAtOnceWithTheReason() async throws {
        // The system's roots do not include the test's own certificate.
        let (settings, _) = try Self.settings("sslmode=verify-full")
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresFailure.self) {
            try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) {
                try await $0.checkWritable()
            }
        }
        #expect(error?.description.hasPrefix("TLS with the server failed") == true, "\(String(describing: error))")
        #expect(error?.transient == false)
        // Not retried until the start-up deadline (60 s) runs out.
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func plainTextIsNeverUsedWhereTheServerRequiresTLS() async throws {
        // The server's refusal, with its reason: proof that the connections above were TLS because they had to be.
        let (settings, _) = try Self.settings("sslmode=disable")
        let error = await #expect(throws: PostgresFailure.self) {
            try await PostgresDeliveryStore.withStore(settings, access: .read, logger: Logger(label: "test")) { _ in }
        }
        #expect(error?.description.contains("no encryption") == true, "\(String(describing: error))")
        #expect(error?.description.contains("SQLSTATE 28000") == true, "\(String(describing: error))")
    }

    @Test func aDatabaseThatDoesNotExistIsReportedAtOnce() async throws {
        let cluster = try PostgresTestCluster.shared()
        let settings = try PostgresSettings.parse(cluster.url(database: "no_such_database")).get()
        let error = await #expect(throws: PostgresFailure.self) {
            try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { _ in
            }
        }
        #expect(error?.description.contains("SQLSTATE 3D000") == true, "\(String(describing: error))")
        #expect(error?.description.contains("no_such_database") == true, "\(String(describing: error))")
    }
}
