import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server on loopback, from the machine's own PostgreSQL binaries (Debian's
/// `postgresql` package): `initdb` into a temporary folder (as the `postgres` user when the tests run as
/// root, since `initdb` refuses root), `pg_ctl start` on a free port, trust authentication. Stopped with
/// `pg_ctl -m immediate` when the test process exits.
///
/// ``shared`` serves the tests that only need a database (each takes a fresh one); a test that stops and
/// restarts the server starts a cluster of its own.
package final class PostgresTestCluster: Sendable {
    package let port: Int
    package let directory: String
    private let binaries: String
    /// Set when the server takes TLS connections only, with this certificate.
    private let certificate: TestCertificate?

    /// The cluster of this test process, started on first use.
    package static func shared() throws -> PostgresTestCluster {
        try self.sharedCluster.withLock { cluster in
            if let cluster { return cluster }
            let started = try PostgresTestCluster()
            cluster = started
            return started
        }
    }

    private static let sharedCluster = Mutex<PostgresTestCluster?>(nil)

    /// Whether the PostgreSQL suites run: the server binaries are installed, or the run requires them
    /// (`PUSHRELAY_REQUIRE_POSTGRES=1`, which `.ci/run` sets), so that their absence fails those suites
    /// instead of skipping them. Says once, on standard error, when they are skipped and how to run them.
    package static let isAvailable: Bool = {
        if ProcessInfo.processInfo.environment["PUSHRELAY_REQUIRE_POSTGRES"] == "1" { return true }
        guard (try? PostgresTestCluster.findBinaries()) == nil else { return true }
        FileHandle.standardError.write(Data((PostgresTestCluster.skipReason + "\n").utf8))
        return false
    }()

    /// The comment on every skipped PostgreSQL test.
    package static let skipReason =
        "PostgreSQL suites skipped: no server under /usr/lib/postgresql; 'apt-get install postgresql' runs them"

    /// Starts a new cluster.
    /// - Parameter tlsOnly: a certificate for the server, which then refuses every connection that is not
    ///   TLS (`hostssl` only in `pg_hba.conf`).
    /// - Throws: when no PostgreSQL server binaries are installed, or the server does not start.
    package init(tlsOnly certificate: TestCertificate? = nil) throws {
        self.certificate = certificate
        self.binaries = try Self.findBinaries()
        self.directory = NSTemporaryDirectory() + "pushrelay-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            try Self.command("/bin/chown", ["postgres:postgres", self.directory])
        }
        let owner = Owner(binaries: self.binaries, directory: self.directory)
        try owner.run(
            "initdb",
            ["-D", self.directory + "/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]
        )
        if let certificate {
            try Self.writeServerFile(self.directory, "server.crt", certificate.certificatePEM)
            try Self.writeServerFile(self.directory, "server.key", certificate.privateKeyPEM)
            try Self.writeServerFile(
                self.directory,
                "pg_hba.conf",
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\n"
            )
        }
        self.port = try Self.start(owner, ssl: certificate != nil)
        Self.running.withLock { $0.append((self.binaries, self.directory)) }
        Self.stopAtExit
    }

    /// Starts a new server on a free port; the port. One checked free can still be taken before the server
    /// binds it: another is tried then.
    private static func start(_ owner: Owner, ssl: Bool) throws -> Int {
        var attempt = 1
        while true {
            let port = try Self.freePort()
            do {
                try owner.start(port: port, ssl: ssl)
                return port
            } catch let failure as ClusterFailure where failure.couldNotBind && attempt < 3 {
                attempt += 1
            }
        }
    }

    /// Starts the server again after ``stop(immediately:)``, on the same port, and waits until it accepts
    /// connections.
    package func start() throws {
        try Owner(binaries: self.binaries, directory: self.directory).start(
            port: self.port,
            ssl: self.certificate != nil
        )
    }

    /// Stops the server: `immediate` is a crash (no checkpoint; recovery at the next start).
    package func stop(immediately: Bool = true) throws {
        try Owner(binaries: self.binaries, directory: self.directory).run(
            "pg_ctl",
            ["-D", self.directory + "/data", "-w", "-m", immediately ? "immediate" : "fast", "stop"]
        )
    }

    /// A new, empty database; its URL.
    package func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try Self.command(
            self.binaries + "/psql",
            ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", "postgres", "-q", "-c", "CREATE DATABASE \(name)"]
        )
        return self.url(database: name)
    }

    package func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(self.port)/\(database)"
    }

    /// Runs one SQL statement with `psql`; its output, unaligned, tuples only.
    @discardableResult
    package func psql(_ database: String, _ sql: String) throws -> String {
        try Self.command(
            self.binaries + "/psql",
            ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", "postgres", "-d", database, "-At", "-c", sql]
        )
    }

    /// The server's own files are the server's user's, and only theirs (PostgreSQL refuses a key others
    /// can read).
    private static func writeServerFile(_ directory: String, _ name: String, _ text: String) throws {
        let path = directory + "/data/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try Self.command("/bin/chmod", ["600", path])
        if getuid() == 0 { try Self.command("/bin/chown", ["postgres:postgres", path]) }
    }

    /// The server's tools, run as the user that owns its files.
    private struct Owner {
        let binaries: String
        let directory: String

        func run(_ tool: String, _ arguments: [String]) throws {
            if getuid() == 0 {
                try PostgresTestCluster.command(
                    "/usr/sbin/runuser",
                    ["-u", "postgres", "--", self.binaries + "/" + tool] + arguments
                )
            } else {
                try PostgresTestCluster.command(self.binaries + "/" + tool, arguments)
            }
        }

        /// `pg_ctl start`, waiting until the server accepts connections. A failure carries the end of the
        /// server's own log, which says why it stopped (a port taken, shared memory refused).
        func start(port: Int, ssl: Bool) throws {
            let options =
                "-c listen_addresses=127.0.0.1 -p \(port) -k \(self.directory) -c fsync=off -c max_connections=400"
                + (ssl ? " -c ssl=on" : "")
            let log = self.directory + "/log"
            do {
                try self.run(
                    "pg_ctl",
                    ["-D", self.directory + "/data", "-l", log, "-w", "-t", "60", "-o", options, "start"]
                )
            } catch let failure as ClusterFailure {
                let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                throw ClusterFailure(
                    description: failure.description + "\nserver log:\n" + lines.suffix(12).joined(separator: "\n")
                )
            }
        }
    }

    /// Runs a program through `system(3)`: `Process` waits forever for a `pg_ctl start` whose server keeps
    /// a descriptor it inherited.
    @discardableResult
    fileprivate static func command(_ path: String, _ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "pushrelay-pg-output-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let line = ([path] + arguments).map(Self.quoted).joined(separator: " ")
        let status = system("cd / && \(line) </dev/null >\(outputPath) 2>&1")
        let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            throw ClusterFailure(description: "\(path) \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }

    private static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func findBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        guard
            let newest = versions.compactMap(Int.init).sorted().last(where: {
                FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb")
            })
        else {
            throw ClusterFailure(
                description: "no PostgreSQL server under \(root); install it with 'apt-get install postgresql'"
            )
        }
        return "\(root)/\(newest)/bin"
    }

    /// A free port below the kernel's ephemeral range: the range the tests' own connections and their
    /// servers' port-0 binds draw from, which could take a port between this check and the server's bind,
    /// or while a stopped server is down. Never one this process has handed out already.
    private static func freePort() throws -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
            .split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        let ephemeralLow = range?.first ?? 32_768
        let candidates: Range<Int>
        switch ephemeralLow {
        case 12_001...: candidates = 10_000..<ephemeralLow
        case 2_049...: candidates = 1_024..<ephemeralLow
        // Nearly every port is ephemeral: any unprivileged one, and the retry on another port.
        default: candidates = 1_024..<65_536
        }
        for _ in 0..<200 {
            let port = Int.random(in: candidates)
            let claimed = self.claimedPorts.withLock { $0.insert(port).inserted }
            if claimed, self.isFree(port) { return port }
        }
        throw ClusterFailure(description: "no free port in \(candidates)")
    }

    private static let claimedPorts = Mutex<Set<Int>>([])

    private static func isFree(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return bound == 0
    }

    /// Every cluster this process started, stopped when it exits.
    private static let running = Mutex<[(binaries: String, directory: String)]>([])

    private static let stopAtExit: Void = {
        atexit {
            for (binaries, directory) in PostgresTestCluster.running.withLock({ $0 }) {
                let stop = getuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : ""
                _ = system("\(stop)\(binaries)/pg_ctl -D \(directory)/data -m immediate stop >/dev/null 2>&1")
                _ = system("rm -rf \(directory)")
            }
        }
    }()
}

package struct ClusterFailure: Error, CustomStringConvertible {
    package var description: String

    /// The server stopped because its port was taken.
    var couldNotBind: Bool { self.description.contains("could not bind") }
}
