import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import PushRelayCore
import ServiceLifecycle

/// The shared store: any number of `serve` processes on one PostgreSQL database are replicas of one
/// service (SPEC section 9). Every time is the database's (`now()`), never a replica's clock.
///
/// A delivery and its jobs are one statement, committed before ``record(_:)`` returns; the unique
/// `(provider, delivery_id)` makes a concurrent copy on another replica wait for the first and then find it.
package final class PostgresDeliveryStore: DeliveryStore {
    let client: PostgresClient
    let logger: Logger
    package let settings: PostgresSettings
    /// At most one NOTIFY per 100 ms from this replica: committing a NOTIFY takes a lock global to the
    /// server, and one wake-up per window is all the other replicas need (they claim whatever is due).
    private let notifyLimiter = NotifyLimiter(interval: .milliseconds(100))
    /// Groups deliveries that arrive together into one statement.
    private let recorder: GroupCommit<DeliveryWrite, RecordResult>
    /// How long any statement may take before the store reports itself unavailable.
    static let operationTimeout: Duration = .seconds(5)
    /// The channel replicas NOTIFY when jobs are queued (a hint only: every replica also polls).
    static let channel = "pushrelay_jobs"

    private init(client: PostgresClient, settings: PostgresSettings, logger: Logger) {
        self.client = client
        self.settings = settings
        self.logger = logger
        let limiter = self.notifyLimiter
        self.recorder = GroupCommit(maxBatch: Self.maxGroup, maxInFlight: Self.groupsInFlight) { writes in
            try await Self.insert(writes, client: client, logger: logger) { settings.notify && limiter.allow() }
        }
    }

    package enum Access: Sendable {
        /// Migrates the schema (serve, redeliver).
        case migrate
        /// Reads only, and refuses a schema other than this binary's (deliveries list, show, export).
        case read
    }

    /// Runs `body` with the store's connection pool running, then stops the pool.
    /// - Throws: ``StoreSchemaMismatch`` when the schema is newer than this binary (or, for ``Access/read``,
    ///   not this binary's), and the connection's error when the database cannot be reached.
    package static func withStore<T: Sendable>(
        _ settings: PostgresSettings,
        access: Access,
        logger: Logger,
        _ body: (PostgresDeliveryStore) async throws -> T
    ) async throws -> T {
        // A first connection of its own: a wrong password or certificate is reported at once, with its
        // reason, where the pool would retry it in silence.
        try await PostgresConnectionCheck.run(
            settings,
            within: access == .migrate ? .seconds(60) : .seconds(10),
            logger: logger
        )
        let client = PostgresClient(configuration: self.configuration(settings), backgroundLogger: logger)
        let store = PostgresDeliveryStore(client: client, settings: settings, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // Lets `run()` start before the first statement, which postgres-nio would otherwise log as a
            // warning (the statement waits for it either way).
            try await Task.sleep(for: .milliseconds(10))
            // Long enough to wait for another replica's migration, short enough to say the database is not there.
            switch access {
            case .migrate:
                _ = try await Self.withDeadline(.seconds(60)) {
                    try await PostgresMigrations.run(on: client, logger: logger)
                }
            case .read:
                let version = try await Self.withDeadline(.seconds(10)) {
                    try await PostgresMigrations.version(on: client, logger: logger)
                }
                // What the readers read is the same since the first version; `serve` migrates.
                guard (PostgresMigrations.firstVersion...PostgresMigrations.latest).contains(version) else {
                    throw StoreSchemaMismatch(found: version, expected: PostgresMigrations.latest)
                }
            }
            return try await body(store)
        }
    }

    /// The TLS client settings `sslmode` asks for; `nil` for `disable`. There is never a fallback to plain
    /// text: postgres-nio's `require` fails a server that does not offer TLS.
    static func tlsConfiguration(_ settings: PostgresSettings) -> TLSConfiguration? {
        guard settings.tls != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification =
            switch settings.tls {
            case .verifyFull: .fullVerification
            case .verifyCA: .noHostnameVerification
            default: .none
            }
        if let file = settings.rootCertificateFile {
            configuration.trustRoots = .file(file)
        }
        return configuration
    }

    /// postgres-nio's pool settings from ours.
    static func configuration(_ settings: PostgresSettings) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.user,
            password: settings.password,
            database: settings.database,
            tls: Self.tlsConfiguration(settings).map { .require($0) } ?? .disable
        )
        // The LISTEN connection is held from the pool: one more than the statements' share.
        configuration.options.maximumConnections = settings.poolSize + (settings.notify ? 1 : 0)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "pushrelay")]
        return configuration
    }

    /// The LISTEN connection that wakes this replica's dispatcher, as a service for `serve`'s group.
    package func wakeListener(_ wake: @escaping @Sendable () -> Void) -> some Service {
        PostgresWakeListener(client: self.client, channel: Self.channel, logger: self.logger, wake: wake)
    }

    package func record(_ plan: DeliveryPlan) async throws -> RecordResult {
        try await self.recorder.submit(DeliveryWrite(plan: plan))
    }

    package func heads(of repository: String) async throws -> RememberedHeads {
        let rows = try await self.rows(
            """
            SELECT ref, head, EXISTS (SELECT 1 FROM pushrelay.head_baselines WHERE repository = \(repository))
            FROM pushrelay.ref_heads WHERE repository = \(repository) AND head <> \(Self.placeholder)
            UNION ALL
            SELECT NULL, NULL, EXISTS (SELECT 1 FROM pushrelay.head_baselines WHERE repository = \(repository))
            """
        )
        var remembered = RememberedHeads(baselined: false, heads: [:])
        for row in rows {
            let (ref, head, baselined) = try row.decode((String?, String?, Bool).self)
            remembered.baselined = baselined
            if let ref, let head { remembered.heads[ref] = head }
        }
        return remembered
    }

    package func moveHead(_ key: HeadKey, from expected: String?, to head: String) async throws -> Bool {
        // None remembered: no row, or a placeholder no write holds any longer.
        let rows = try await self.rows(
            """
            INSERT INTO pushrelay.ref_heads AS h (repository, ref, head, updated_at)
            VALUES (\(key.repository), \(key.ref), \(head), now())
            ON CONFLICT (repository, ref) DO UPDATE SET head = excluded.head, updated_at = excluded.updated_at
            WHERE h.head = COALESCE(\(expected), \(Self.placeholder))
            RETURNING 1
            """
        )
        return rows.count == 1
    }

    package func baseline(_ repository: String, heads: [String: String]) async throws {
        let refs = heads.keys.sorted()
        // A head a webhook told of meanwhile stays (as does a placeholder another write holds locked).
        _ = try await self.rows(
            """
            WITH h AS (
                INSERT INTO pushrelay.ref_heads (repository, ref, head, updated_at)
                SELECT \(repository), f, c, now() FROM unnest(\(refs), \(refs.map { heads[$0] ?? "" })) AS k(f, c)
                ORDER BY f
                ON CONFLICT (repository, ref) DO NOTHING
            )
            INSERT INTO pushrelay.head_baselines (repository, taken_at) VALUES (\(repository), now())
            ON CONFLICT DO NOTHING
            """
        )
    }

    package func requeueWork(provider: ProviderKind, deliveryID: String) async throws -> Int {
        let rows = try await self.rows(
            """
            WITH n AS (
                -- One fresh item per distinct kind and payload of what the delivery itself queued; keyed
                -- items only if queued once (a plan), and then without their key.
                INSERT INTO pushrelay.work (delivery, kind, payload, result_unique, state, queued_at, next_attempt_at,
                                            updated_at)
                SELECT w.delivery, w.kind, w.payload, w.result_unique, 'pending', now(), now(), now()
                FROM pushrelay.work w JOIN pushrelay.deliveries d ON d.id = w.delivery
                WHERE d.provider = \(provider.rawValue) AND d.delivery_id = \(deliveryID) AND w.parent IS NULL
                  AND (w.key IS NULL OR w.key_once)
                  AND w.id IN (SELECT MIN(id) FROM pushrelay.work
                               WHERE delivery = d.id AND parent IS NULL GROUP BY kind, payload)
                ORDER BY w.id
                RETURNING id
            ), w AS (
                SELECT pg_notify(\(Self.channel), '') WHERE \(self.settings.notify) AND EXISTS (SELECT 1 FROM n)
            )
            SELECT (SELECT COUNT(*) FROM n), (SELECT COUNT(*) FROM w)
            """
        )
        guard let row = rows.first else { return 0 }
        return Int(try row.decode((Int64, Int64).self).0)
    }

    package func checkWritable(deliveryOf bytes: Int) async throws {
        let (client, logger) = (self.client, self.logger)
        // Written and removed in one transaction: the row's pages (its body uncompressed, see the schema)
        // are in the WAL at commit, and no reader ever sees it.
        try await Self.withDeadline(Self.operationTimeout) {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        """
                        INSERT INTO pushrelay.deliveries (provider, delivery_id, event, received_at, decision, reason,
                                                          signature, headers, body)
                        VALUES ('write-probe', md5(random()::text), 'probe', now(), 'ignore', 'write probe',
                                'not checked', '[]', decode(repeat(md5(random()::text), \(bytes / 16 + 1)::integer), 'hex'))
                        """,
                        logger: logger
                    ).consume()
                    try await connection.query(
                        "DELETE FROM pushrelay.deliveries WHERE provider = 'write-probe'",
                        logger: logger
                    ).consume()
                }
            } catch {
                throw PostgresFailure.wrapping(error)
            }
        }
    }

    /// A real write, committed on the primary: a standby, a read-only or an unreachable database fails it.
    package func checkWritable() async throws {
        _ = try await self.rows(
            "UPDATE pushrelay.store_health SET checked_at = now() WHERE id = 1"
        )
    }
}
