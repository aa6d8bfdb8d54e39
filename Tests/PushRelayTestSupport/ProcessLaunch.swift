import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, its standard output and error written to files. Foundation's
/// `Process.run()` on Linux crashed (a `memcpy` past its buffer) when the test process had many descriptors
/// open, as it does while the listener tests run (over 2,500 sockets and files at once).
package final class ChildProcess: Sendable {
    package let pid: pid_t
    /// The exit status once the child has been reaped: its code, or the signal that ended it.
    private let status = Mutex<Int32?>(nil)

    package init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        output: String,
        error: String
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, error, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw RelayProcessError("posix_spawn \(executable) failed: \(result)") }
        self.pid = pid
    }

    /// The exit status, once the child has ended; `nil` while it runs.
    package var exitStatus: Int32? {
        self.status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            guard waitpid(self.pid, &raw, WNOHANG) == self.pid else { return nil }
            // Exited: its code; killed: the signal (as Foundation's `terminationStatus` says).
            let code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            status = code
            return code
        }
    }

    package var isRunning: Bool { self.exitStatus == nil }

    /// Waits for the end, blocking the calling thread.
    package func wait() -> Int32 {
        while true {
            if let status = self.exitStatus { return status }
            usleep(2_000)
        }
    }
}
