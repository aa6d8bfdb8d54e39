import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<database>.lock`, held by the one `serve` process of a SQLite store. The kernel
/// drops it when the process dies, however it dies, so holding it proves that no other `serve` is alive.
final class SQLiteServeLock: Sendable {
    /// Another process holds the lock.
    package struct Busy: Error, CustomStringConvertible {
        package var path: String

        package var description: String {
            "another 'pushrelay serve' is using the store \(self.path); the SQLite store serves one process "
                + "(for several replicas, use PostgreSQL: store.postgres_url_env)"
        }
    }

    private let descriptor: Int32
    private let released = Atomic(false)

    init(databasePath: String) throws {
        let path = databasePath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SQLiteServeLockError(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            close(descriptor)
            if failure == EWOULDBLOCK { throw Busy(path: databasePath) }
            throw SQLiteServeLockError(path: path, errno: failure)
        }
        self.descriptor = descriptor
    }

    /// Idempotent: the descriptor is closed once, never a number the process has since reused.
    func release() {
        guard !self.released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        close(self.descriptor)
    }
}

/// The lock file could not be opened or locked for a reason other than another holder.
struct SQLiteServeLockError: Error, CustomStringConvertible {
    var path: String
    var errno: Int32

    var description: String { "cannot lock \(self.path): \(String(cString: strerror(self.errno)))" }
}
