import Foundation
import Logging
import PushRelayCore
import PushRelayTestSupport
import Testing

@testable import PushRelayStore

/// What is PostgreSQL's own: the schema created once under concurrent starts, a schema from a newer
/// release or from before the first, readers that may not create it. The behaviour both stores share is in ``StoreContractTests``.
@Suite(.enabled(if: PostgresTestCluster.isAvailable, "needs a PostgreSQL server"))
struct PostgresDeliveryStoreTests {
    @Test func storesOpeningAtOnceOnAnEmptyDatabaseMigrateItOnce() async throws {
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.createDatabase()
        let settings = try PostgresSettings.parse(url).get()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test"))
                    {
                        try await $0.checkWritable()
                    }
                }
            }
            try await group.waitForAll()
        }
        let database = String(url.split(separator: "/").last!)
        #expect(
            try cluster.psql(
                database,
                "SELECT string_agg(version::text, ',' ORDER BY version) FROM pushrelay.schema_version"
            ) == (4...PostgresMigrations.latest).map(String.init).joined(separator: ",")
        )
    }

    /// A database holding a schema from before the first release is refused with the way out, and left as
    /// it was.
    @Test func aSchemaFromBeforeTheFirstReleaseIsRefusedAndLeftAlone() async throws {
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.createDatabase()
        let settings = try PostgresSettings.parse(url).get()
        let database = String(url.split(separator: "/").last!)
        try cluster.psql(
            database,
            """
            CREATE SCHEMA pushrelay; CREATE TABLE pushrelay.schema_version (version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO pushrelay.schema_version VALUES (1), (2), (3);
            CREATE TABLE pushrelay.jobs (id bigint)
            """
        )
        let refused = await #expect(throws: StoreSchemaMismatch.self) {
            try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { _ in
            }
        }
        #expect(
            refused?.description.contains(
                "version 3, from a build before this PushRelay's (\(PostgresMigrations.latest))"
            ) == true
        )
        #expect(refused?.description.contains("start a new store") == true)
        #expect(try cluster.psql(database, "SELECT to_regclass('pushrelay.work') IS NULL") == "t")
    }

    @Test func aNewerSchemaIsRefusedAndAReaderDoesNotMigrate() async throws {
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.createDatabase()
        let settings = try PostgresSettings.parse(url).get()
        let database = String(url.split(separator: "/").last!)
        // A reader on an empty database neither creates the schema nor reads past the mismatch.
        let empty = await #expect(throws: StoreSchemaMismatch.self) {
            try await PostgresDeliveryStore.withStore(settings, access: .read, logger: Logger(label: "test")) { _ in }
        }
        #expect(empty?.found == 0)
        #expect(try cluster.psql(database, "SELECT to_regclass('pushrelay.schema_version') IS NULL") == "t")

        try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { _ in }
        try cluster.psql(database, "INSERT INTO pushrelay.schema_version (version) VALUES (99)")
        let newer = await #expect(throws: StoreSchemaMismatch.self) {
            try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { _ in
            }
        }
        #expect(newer?.description.contains("newer than this PushRelay") == true)
    }
}
