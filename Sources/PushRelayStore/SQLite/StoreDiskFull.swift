import Foundation
import SQLiteNIO

#if canImport(Glibc)
import Glibc
#endif

/// A write the SQLite store could not make because the volume holding it is full, said in words an
/// operator can act on: which directory, how much is free, and what SQLite said.
package struct StoreDiskFull: Error, CustomStringConvertible {
    /// The directory holding the database, its WAL and its shared-memory file.
    package var directory: String
    /// Bytes available to this process on that volume when the failure was seen.
    package var freeBytes: Int?
    /// What could not be done: "write", "checkpoint", "open".
    package var action: String
    /// The space the action needs, where it is known (a checkpoint needs up to its WAL's size).
    package var neededBytes: Int?
    package var underlying: String

    package var description: String {
        var text = "the disk holding \(self.directory) is full"
        if let free = self.freeBytes { text += " (\(Self.size(free)) free)" }
        text += ": SQLite could not \(self.action) (\(self.underlying))"
        if let needed = self.neededBytes { text += "; that needs up to \(Self.size(needed))" }
        return text
    }

    /// The error as it was, or a ``StoreDiskFull`` when it is SQLite's "disk full", or an I/O error
    /// SQLite gives for the same cause (growing the WAL's shared memory, a failed write) on a volume that
    /// has next to nothing left.
    package static func explaining(
        _ error: any Error,
        databasePath: String,
        action: String = "write",
        neededBytes: Int? = nil
    ) -> any Error {
        guard let failure = error as? SQLiteError else { return error }
        let directory = Self.directory(of: databasePath)
        let free = Self.freeBytes(in: directory)
        switch failure.reason {
        case .full:
            break
        case .ioErrorFailedSharedMemSize, .ioErrorFailedWrite, .ioErrorFailedTruncate, .ioError:
            // The same codes come from a failing device: only a volume this close to full explains them.
            guard let free, free < 1 << 20 else { return error }
        default:
            return error
        }
        return StoreDiskFull(
            directory: directory,
            freeBytes: free,
            action: action,
            neededBytes: neededBytes,
            underlying: failure.description
        )
    }

    static func directory(of databasePath: String) -> String {
        let directory = (databasePath as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    static func freeBytes(in directory: String) -> Int? {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return nil }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1 << 10 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return "\(bytes >> 10) KiB" }
        return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}
