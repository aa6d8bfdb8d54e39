import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PushRelayTestSupport
import ServiceLifecycle
import Synchronization

extension BenchCommand {
    /// Git's ref advertisement for any repository path, from memory: what a host answers recovery's
    /// rounds, without a Git process per request (the benchmark measures PushRelay, not the host).
    struct GitStandIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gitstandin",
            abstract:
                "Answer GET …/info/refs for any repository with main at a commit (POST /move?path=P&sha=S moves one; GET /count counts reads)."
        )

        @Option var port: Int = 18090

        func run() async throws {
            let heads = Mutex<[String: String]>([:])
            let reads = Atomic<Int>(0)
            let router = Router(context: BasicRequestContext.self)
            router.get("/count") { _, _ in "\(reads.load(ordering: .relaxed))\n" }
            router.post("/move") { request, _ in
                let query = request.uri.queryParameters
                guard let path = query["path"].map(String.init), let sha = query["sha"].map(String.init) else {
                    return HTTPResponse.Status.badRequest
                }
                heads.withLock { $0[path] = sha }
                return .ok
            }
            router.get("/**") { request, _ -> Response in
                let path = request.uri.path
                guard path.hasSuffix("/info/refs") else { return Response(status: .notFound) }
                reads.add(1, ordering: .relaxed)
                let repository = String(path.dropLast("/info/refs".count))
                let sha = heads.withLock { $0[repository] } ?? String(repeating: "a", count: 40)
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/x-git-upload-pack-advertisement"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.advertisement(main: sha)))
                )
            }
            var logger = Logger(label: "git-stand-in")
            logger.logLevel = .warning
            let app = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: self.port)),
                logger: logger
            )
            // Stopped by the script with a signal's default action: nothing to drain.
            try await ServiceGroup(configuration: .init(services: [app], logger: logger)).run()
        }

        /// `main` and a tag, as `git http-backend` frames them.
        static func advertisement(main: String) -> [UInt8] {
            func pkt(_ text: String) -> String { String(format: "%04x", text.utf8.count + 4) + text }
            let tag = String(repeating: "b", count: 40)
            let text =
                pkt("# service=git-upload-pack\n") + "0000"
                + pkt("\(main) HEAD\u{0}multi_ack symref=HEAD:refs/heads/main agent=git/2.39.5\n")
                + pkt("\(main) refs/heads/main\n") + pkt("\(tag) refs/tags/v1\n") + pkt("\(main) refs/tags/v1^{}\n")
                + "0000"
            return Array(text.utf8)
        }
    }
}
