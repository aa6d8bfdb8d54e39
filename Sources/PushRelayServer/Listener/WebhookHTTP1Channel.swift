import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import PushRelayCore

/// Hummingbird's HTTP/1 connection with a ``WebhookChannelHandler`` placed after its connection-state
/// handler, where Hummingbird's own `additionalChannelHandlers` (placed before it) cannot go.
struct WebhookHTTP1Channel<Store: DeliveryRecorder>: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http: HTTP1Channel
    let endpoint: WebhookEndpoint<Store>
    let logger: Logger
    let serverName: String

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (endpoint, appLogger, serverName) = (self.endpoint, self.logger, self.serverName)
        return self.http.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            try pipeline.addHandler(
                WebhookChannelHandler(endpoint: endpoint, logger: appLogger, serverName: serverName),
                position: .after(state)
            )
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.http.handle(value: value, logger: logger)
    }
}
