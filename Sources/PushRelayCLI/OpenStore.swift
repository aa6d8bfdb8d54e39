import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore

/// How a command uses the store.
enum StoreAccess {
    /// `serve`: migrates; on SQLite, holds the lock that keeps a second `serve` off the file.
    case serve
    /// Writes beside a running `serve` (`deliveries redeliver`); migrates.
    case write
}

/// Opens the store `settings` names for the length of `body`, then closes it, whatever `body` does.
func withStore<T: Sendable>(
    _ settings: StoreSettings,
    access: StoreAccess,
    logger: Logger,
    _ body: (any ServedStore) async throws -> T
) async throws -> T {
    switch settings {
    case .sqlite(let path):
        let store = try await SQLiteDeliveryStore.open(
            path: path,
            access: access == .serve ? .serve : .write,
            logger: logger
        )
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    case .postgres(let postgres):
        return try await PostgresDeliveryStore.withStore(postgres, access: .migrate, logger: logger, body)
    }
}

/// Opens the store for reading only: no write lock, no migration, and a schema other than this binary's
/// is refused with a message.
func withInspector<T: Sendable>(
    _ settings: StoreSettings,
    logger: Logger,
    _ body: (any DeliveryInspector) async throws -> T
) async throws -> T {
    switch settings {
    case .sqlite(let path):
        let reader = try await SQLiteDeliveryReader.open(path: path, logger: logger)
        do {
            let result = try await body(reader)
            try await reader.close()
            return result
        } catch {
            try? await reader.close()
            throw error
        }
    case .postgres(let postgres):
        return try await PostgresDeliveryStore.withStore(postgres, access: .read, logger: logger, body)
    }
}
