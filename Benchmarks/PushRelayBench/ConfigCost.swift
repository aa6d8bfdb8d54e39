import ArgumentParser
import Foundation
import PushRelayCore
import PushRelayServer

#if canImport(Glibc)
import Glibc
#endif

extension BenchCommand {
    /// What a large config costs outside the accept path: the full load (`check`, start-up), a reload after
    /// one file changed, and the idle poll that looks for changes, in CPU time of this process.
    struct ConfigCost: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Time loading, reloading one changed file, and the idle reload poll, on N repository files."
        )

        @Option var repositories: Int = 10_000
        @Option var rounds: Int = 5

        func run() throws {
            let directory = NSTemporaryDirectory() + "pushrelay-bench-config-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory + "/repos", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try """
            listen: "127.0.0.1:0"
            terrakube: {url: "http://127.0.0.1:9", token_env: TK_TOKEN, organization: org}
            store: {sqlite: "data/pushrelay.sqlite"}
            secret_env: SECRET
            """.write(toFile: directory + "/pushrelay.yaml", atomically: true, encoding: .utf8)
            for index in 0..<self.repositories { try Self.write(index, branch: "main", in: directory) }
            let environment = ["TK_TOKEN": "t", "SECRET": "s"]

            let (full, _) = try Self.cpu { _ = try ConfigLoader(directory: directory, environment: environment).load() }
            let cache = RepositoryFileCache()
            let loader = ConfigLoader(directory: directory, environment: environment, cache: cache)
            _ = try loader.load()
            var reloads: [Double] = []
            var polls: [Double] = []
            var fingerprint = ConfigFingerprint.read(directory)
            for round in 0..<self.rounds {
                try Self.write(round, branch: "release-\(round)", in: directory)
                let (reload, _) = try Self.cpu { _ = try loader.load() }
                reloads.append(reload)
                let (poll, next) = try Self.cpu { ConfigFingerprint.read(directory, previous: fingerprint) }
                fingerprint = next
                polls.append(poll)
            }
            let format = { (values: [Double]) in
                values.map { String(format: "%.1f", $0 * 1000) }.joined(separator: " / ")
            }
            print("repositories: \(self.repositories)")
            print(String(format: "full load: %.0f ms of CPU", full * 1000))
            print(
                "reload, one file changed: \(format(reloads)) ms of CPU (parsed \(cache.parsed - self.repositories) files in \(self.rounds) reloads)"
            )
            print("idle poll: \(format(polls)) ms of CPU a pass")
        }

        static func write(_ index: Int, branch: String, in directory: String) throws {
            try """
            repository: github.com/acme/infra-\(index)
            routes:
              - branches: ["\(branch)"]
                workspace: ws-\(index)
                template: tpl
            """.write(toFile: directory + "/repos/infra-\(index).yaml", atomically: true, encoding: .utf8)
        }

        /// The process's CPU time (user and system) that `body` took, in seconds, and what it returned.
        static func cpu<T>(_ body: () throws -> T) throws -> (Double, T) {
            let before = Self.processCPU()
            let result = try body()
            return (Self.processCPU() - before, result)
        }

        private static func processCPU() -> Double {
            Double(clock()) / Double(CLOCKS_PER_SEC)
        }
    }
}
