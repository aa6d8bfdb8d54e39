import Foundation
import Synchronization

extension Process {
    /// Starts the process, one launch at a time across the tests: Foundation's `Process.run()` on Linux
    /// crashed (a bad pointer in its `memcpy`) when launches from parallel tests overlapped. Only the launch
    /// is serialised; the processes run, and are waited for, side by side.
    package func runSerialized() throws {
        try launches.withLock { _ in try self.run() }
    }
}

private let launches = Mutex(())
