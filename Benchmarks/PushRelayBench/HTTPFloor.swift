import ArgumentParser
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PushRelayCore
import PushRelayStore
import ServiceLifecycle

extension BenchCommand {
    /// What an HTTP server costs per request before any of PushRelay runs, for `Benchmarks/floor.sh` to
    /// measure beside `serve`'s `/healthz`: SwiftNIO's HTTP/1 pipeline with a handler of its own (what
    /// taking the webhook path off the router could come down to), or a Hummingbird application with one
    /// route and nothing else. `nio-accept` is the first with the real intake and store behind it
    /// (``Accept``): the least a delivery could cost with them.
    struct HTTPFloor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "httpfloor",
            abstract: "Answer every request 200 \"ok\" with SwiftNIO alone or with a bare Hummingbird app."
        )

        enum Server: String, ExpressibleByArgument {
            case nio, hummingbird
            case nioAccept = "nio-accept"
        }

        @Option var server: Server
        @Option var port: Int
        @Option(help: "nio-accept: the SQLite file deliveries are written to, or `memory`.")
        var store: String = "memory"

        func run() async throws {
            var logger = Logger(label: "http-floor")
            logger.logLevel = .warning
            switch self.server {
            case .hummingbird:
                let router = Router(context: BasicRequestContext.self)
                router.get("/healthz") { _, _ in "ok\n" }
                let app = Application(
                    router: router,
                    configuration: .init(address: .hostname("127.0.0.1", port: self.port)),
                    logger: logger
                )
                // Stopped by the script with a signal's default action: nothing to drain.
                try await ServiceGroup(configuration: .init(services: [app], logger: logger)).run()
            case .nio:
                try await self.serve { OK() }
            case .nioAccept:
                let intake = WebhookIntake(config: try BenchCommand.acmeConfig())
                guard self.store != "memory" else {
                    let store = InMemoryDeliveryStore()
                    try await self.serve { Accept(intake: intake, store: store) }
                    return
                }
                let store = try await SQLiteDeliveryStore.open(path: self.store, access: .serve, logger: logger)
                // The checkpoints `serve` runs, at its busy pace.
                let checkpoints = Task {
                    while !Task.isCancelled {
                        _ = try? await store.maintain()
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
                defer { checkpoints.cancel() }
                try await self.serve { Accept(intake: intake, store: store) }
            }
        }

        /// SwiftNIO's HTTP/1 server pipeline with one handler of `make()`'s on each connection, until closed.
        private func serve(_ make: @escaping @Sendable () -> any ChannelHandler) async throws {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(make())
                    }
                }
                .bind(host: "127.0.0.1", port: self.port).get()
            try await channel.closeFuture.get()
        }
    }

    /// `200 ok` for each request once its end has come, the connection kept open.
    final class OK: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = self.unwrapInboundIn(data) else { return }
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Length", value: "3")
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok\n")))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
