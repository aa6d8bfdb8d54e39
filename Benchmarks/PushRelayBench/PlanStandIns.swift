import ArgumentParser
import Foundation
import PushRelayTestSupport
import ServiceLifecycle

extension BenchCommand {
    /// Terrakube and a Git host for the plan comment's benchmark: every job completes at its first read with
    /// one step whose output is a plan of the given size; the host takes statuses and comments, and each
    /// comment's arrival is printed (`comment <id> <unix ms> <characters>`).
    struct PlanStandIns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "planstandins",
            abstract:
                "Terrakube whose jobs end with a plan of --output-mib MiB, and a Git host that prints each comment."
        )

        @Option var terrakubePort: Int = 18091
        @Option var hostPort: Int = 18092
        @Option var token: String = "bench-token"
        @Option var outputMib: Int = 10
        @Option var jobs: Int = 20

        /// A line on standard output, at once (the script reads it as it comes).
        static func say(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        func run() async throws {
            let terrakube = TerrakubeStandIn(token: self.token)
            let line = "  + resource \"null_resource\" \"r\" { triggers = { key = \"0123456789abcdef0123456789\" } }\n"
            let plan =
                String(repeating: line, count: self.outputMib * (1 << 20) / line.utf8.count)
                + "\nPlan: 1 to add, 0 to change, 0 to destroy.\n"
            for job in 1...self.jobs {
                terrakube.script(job: job, "completed")
                terrakube.outputs(job: job, plan)
            }
            let host = GitHostStandIn()
            try await terrakube.whileRunning(port: self.terrakubePort) { _ in
                try await host.whileRunning(port: self.hostPort) { _ in
                    Self.say("stand-ins ready")
                    try? await withGracefulShutdownHandler {
                        var seen: [Int: Int] = [:]
                        while !Task.isCancelled {
                            for comment in host.comments.all where seen[comment.id] != comment.edits {
                                seen[comment.id] = comment.edits
                                let ms = Int(Date().timeIntervalSince1970 * 1000)
                                let planned = comment.body.contains("Plan: 1 to add") ? "planned" : "pending"
                                Self.say("comment \(comment.id) \(ms) \(comment.body.count) \(planned)")
                            }
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    } onGracefulShutdown: {
                    }
                }
            }
        }
    }
}
