import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `pushrelay` executable run as a child process, for tests that kill it or send it signals.
package final class RelayProcess: @unchecked Sendable {
    // @unchecked: kept for its Sendable parts; it only signals the child by pid and polls it.
    private let process: ChildProcess
    package let logPath: String

    /// The `pushrelay` binary built beside the test bundle (`swift build` and `swift test` both build it).
    package static var executable: URL? {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            beside.appendingPathComponent("pushrelay"),
            beside.deletingLastPathComponent().appendingPathComponent("pushrelay"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/pushrelay"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Starts `pushrelay serve --config DIR --log-format json` (or `text`), logging to `logPath`.
    package init(
        configDirectory: String,
        environment: [String: String],
        logPath: String,
        logFormat: String = "json"
    ) throws {
        guard let executable = Self.executable else {
            throw RelayProcessError("pushrelay binary not found; run swift build")
        }
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        self.process = try ChildProcess(
            executable: executable.path,
            arguments: ["serve", "--config", configDirectory, "--log-format", logFormat],
            environment: environment,
            output: logPath,
            error: logPath
        )
    }

    package var pid: Int32 { self.process.pid }

    /// Runs `pushrelay ARGUMENTS` to its end (a `replay`, a `deliveries export`) and returns what it wrote.
    /// Output goes through files, so that a long output cannot fill a pipe and stall the child.
    package static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        guard let executable = Self.executable else {
            throw RelayProcessError("pushrelay binary not found; run swift build")
        }
        let base = NSTemporaryDirectory() + "pushrelay-run-" + UUID().uuidString
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = try ChildProcess(
            executable: executable.path,
            arguments: arguments,
            environment: environment,
            output: base + ".out",
            error: base + ".err"
        )
        guard await eventually(within: timeout, { !process.isRunning }) else {
            kill(process.pid, SIGKILL)
            _ = process.wait()
            throw RelayProcessError("pushrelay \(arguments.first ?? "") did not finish in time")
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (process.exitStatus ?? -1, read(base + ".out"), read(base + ".err"))
    }

    /// The port from the "Listening" log line, once the listener is up.
    package func port(timeout: Duration = .seconds(30)) async throws -> Int {
        var port: Int?
        let listening = try await eventually(within: timeout) {
            port = self.listeningPort()
            guard port == nil else { return true }
            guard self.process.isRunning else { throw RelayProcessError("pushrelay exited: \(self.logText())") }
            return false
        }
        guard listening, let port else {
            throw RelayProcessError("pushrelay did not start listening: \(self.logText())")
        }
        return port
    }

    /// The port of the "Listening" log line, once there is one.
    private func listeningPort() -> Int? {
        for line in self.logLines() where line["msg"] as? String == "Listening" {
            if let address = line["relay.address"] as? String,
                let port = address.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
        }
        // The text format: `… relay.address=127.0.0.1:PORT … [PushRelayServer] Listening`.
        for line in self.logText().split(separator: "\n") where line.hasSuffix("] Listening") {
            let field = line.split(separator: " ").first { $0.hasPrefix("relay.address=") }
            if let port = field?.split(separator: ":").last.flatMap({ Int($0) }) { return port }
        }
        return nil
    }

    package func signal(_ signal: Int32) {
        kill(self.process.pid, signal)
    }

    /// Waits for the process to exit; returns its status, or `nil` if it is still running at the timeout.
    package func exitStatus(timeout: Duration) async throws -> Int32? {
        guard await eventually(within: timeout, { !self.process.isRunning }) else { return nil }
        return self.process.exitStatus
    }

    /// Each JSON log line written so far.
    package func logLines() -> [[String: Any]] {
        self.logText().split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    package func logText() -> String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.pid, SIGKILL)
            _ = self.process.wait()
        }
    }
}

package struct RelayProcessError: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
