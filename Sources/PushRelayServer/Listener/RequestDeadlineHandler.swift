import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The deadlines that keep a slow client from holding a connection:
/// - its head must be complete within `headTimeout` of the accept, or, on a kept-alive connection, within
///   the idle timeout plus `headTimeout` of the previous response (bytes dribbled in reset the listener's
///   idle timer, never these);
/// - its request must arrive whole within `readTimeout` of the head, so that a body dribbled (or never
///   finished) cannot hold a connection and its buffer.
///
/// It also tells the ``ConnectionShield`` whether a request is in progress, for shedding at the limit.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let readTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let shield: ConnectionShield
    private var deadline: Scheduled<Void>?
    /// Heads read less responses written: more than one when requests are pipelined.
    private var inProgress = 0
    /// The response being written says `Connection: close`: the connection ends with it, rather than
    /// reading and discarding the rest of a body refused midway (a `413`, a `503` over the budget).
    private var closeAfterResponse = false

    init(headTimeout: TimeAmount, readTimeout: TimeAmount, idleTimeout: TimeAmount, shield: ConnectionShield) {
        self.headTimeout = headTimeout
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.shield = shield
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Added as the connection is set up, on accept: the head's clock starts now.
        self.shield.opened(context.channel)
        self.closeUnlessDone(in: self.headTimeout, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head:
            self.inProgress += 1
            self.shield.requestStarted(context.channel)
            self.closeUnlessDone(in: self.readTimeout, context: context)
        case .end:
            self.deadline?.cancel()
            self.deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = self.unwrapOutboundIn(data)
        if case .head(let head) = part {
            self.closeAfterResponse = head.headerFields[.connection] == "close"
        }
        guard case .end = part else {
            context.write(data, promise: promise)
            return
        }
        if self.closeAfterResponse {
            let written = promise ?? context.eventLoop.makePromise()
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            context.write(data, promise: written)
            return
        }
        self.inProgress = max(0, self.inProgress - 1)
        if self.inProgress == 0 {
            // Answered: until the next head, the connection holds a slot for nothing.
            self.shield.requestFinished(context.channel)
            self.closeUnlessDone(in: self.idleTimeout + self.headTimeout, context: context)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stop(context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stop(context)
    }

    private func closeUnlessDone(in timeout: TimeAmount, context: ChannelHandlerContext) {
        self.deadline?.cancel()
        let channel = context.channel
        self.deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    private func stop(_ context: ChannelHandlerContext) {
        self.deadline?.cancel()
        self.deadline = nil
        self.shield.closed(context.channel)
    }
}
