import Foundation
import Logging
import PushRelayCore
import PushRelayTestSupport
import Testing

@testable import PushRelayStore

/// What is PostgreSQL's own: migrations under concurrent starts, a schema from a newer release, readers
/// that may not migrate. The behaviour both stores share is in ``StoreContractTests``.
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
            ) == "1,2,3"
        )
    }

    @Test func jobsWrittenBeforeTheQueueHadKindsAreItsWorkAfterTheMigration() async throws {
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.createDatabase()
        let settings = try PostgresSettings.parse(url).get()
        let database = String(url.split(separator: "/").last!)
        // The schema as the release before kinds left it (version 1), with a job in each state.
        var statements = ["CREATE SCHEMA pushrelay"] + PostgresMigrations.steps[0].map(\.sql)
        statements += [
            "CREATE TABLE pushrelay.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            "INSERT INTO pushrelay.schema_version (version) VALUES (1)",
            """
            INSERT INTO pushrelay.deliveries (provider, delivery_id, event, received_at, decision, reason, signature,
                                              headers, body)
            VALUES ('github', 'old-1', 'push', now(), 'queue', 'matched', 'valid', '[]', '\\x7b7d')
            """,
            """
            INSERT INTO pushrelay.jobs (delivery, organization, workspace, template, override_branch, commit_id, via,
                                        state, attempts, queued_at, next_attempt_at, updated_at, terrakube_job_id,
                                        look_first, owner, lease_until, fence)
            VALUES (1, 'org', 'ws-a', 'tpl', 'main', 'abc', 'Github', 'created', 1, now(), now(), now(), '42', false,
                    NULL, NULL, 1),
                   (1, 'org', 'ws-b', 'tpl', 'main', 'abc', 'Github', 'sending', 2, now(), now(), now(), NULL, true,
                    'gone', now() - interval '1 minute', 2),
                   (1, 'org', 'ws-c', 'tpl', 'main', 'abc', 'Github', 'pending', 0, now(), now(), now(), NULL, false,
                    NULL, NULL, 0)
            """,
            """
            INSERT INTO pushrelay.job_attempts (job, started_at, finished_at, outcome, status, detail)
            VALUES (1, now(), now(), 'created', NULL, 'Terrakube job 42'), (2, now(), now(), 'retry', 503, 'HTTP 503')
            """,
        ]
        for statement in statements { try cluster.psql(database, statement) }

        try await PostgresDeliveryStore.withStore(settings, access: .migrate, logger: Logger(label: "test")) { store in
            let work = try await store.work(provider: .github, deliveryID: "old-1")
            #expect(work.map(\.kind) == [.createTerrakubeJob, .createTerrakubeJob, .createTerrakubeJob])
            #expect(work.map(\.state) == [.done, .running, .pending])
            #expect(
                work[0].spec
                    == JobSpec(
                        organization: "org",
                        workspace: "ws-a",
                        template: "tpl",
                        overrideBranch: "main",
                        commitID: "abc",
                        via: "Github"
                    )
            )
            #expect(work.map(\.result) == ["42", nil, nil])
            #expect(work[1].history.map(\.status) == [503])
            #expect(try await store.rescueExpiredLeases() == 1)
            let claimed = try await store.claim(owner: "new", limit: 10, lease: .seconds(30))
            #expect(claimed.map(\.id).sorted() == [work[1].id, work[2].id])
            #expect(claimed.first { $0.id == work[1].id }?.uncertain == true)
            // New items number on from the migrated ones.
            _ = try await store.record(StorePlans.plan("new-1", jobs: 1))
            #expect(try await store.work(provider: .github, deliveryID: "new-1").first?.id == 4)
        }
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
