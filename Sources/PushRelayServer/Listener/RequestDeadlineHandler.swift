import HTTPTypes
import NIOCore
import NIOHTTPTypes
import PushRelayCore

/// The deadlines that keep a slow client from holding a connection:
/// - its head must be complete within `headTimeout` of the accept, or, on a kept-alive connection, within
///   the idle timeout plus `headTimeout` of the previous response (bytes dribbled in reset the listener's
///   idle timer, never these);
/// - its request must arrive whole within `readTimeout` of the head, so that a body dribbled (or never
///   finished) cannot hold a connection and its buffer;
/// - its body must keep to the rate floor after a grace period (`limits.min_body_bytes_per_second`, checked
///   every second), so that a dribbler is closed in seconds, not at the read timeout.
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
    private let limits: ServiceSettings.Limits
    private let shield: ConnectionShield
    private var deadline: Scheduled<Void>?
    /// The body rate's check, once a second while a request's body arrives (the shield counts its bytes).
    private var rateCheck: Scheduled<Void>?
    /// Heads read less responses written: more than one when requests are pipelined.
    private var inProgress = 0
    /// The response being written says `Connection: close`: the connection ends with it, rather than
    /// reading and discarding the rest of a body refused midway (a `413`, a `503` over the budget).
    private var closeAfterResponse = false
    /// A head was read whose request has not ended. Its read deadline and rate check start once the
    /// bytes at hand are read (`channelReadComplete`): a request that came whole in one read, as nearly
    /// every webhook does, needs neither, and scheduling and cancelling the two timers per request showed
    /// in profiles (NIO cancels a scheduled task by searching its queue).
    private var requestUnfinished = false
    /// The unfinished request's read deadline and rate check are running: started once, never restarted
    /// by the bytes that follow.
    private var bodyClocksStarted = false

    init(
        headTimeout: TimeAmount,
        readTimeout: TimeAmount,
        idleTimeout: TimeAmount,
        limits: ServiceSettings.Limits,
        shield: ConnectionShield
    ) {
        self.headTimeout = headTimeout
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.limits = limits
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
            self.requestUnfinished = true
            self.bodyClocksStarted = false
        case .end:
            self.requestUnfinished = false
            self.bodyClocksStarted = false
            self.deadline?.cancel()
            self.deadline = nil
            self.stopRateCheck()
        case .body(let buffer):
            self.shield.bodyRead(context.channel, bytes: buffer.readableBytes)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The request's body is still to come: from now on it must arrive within the read timeout, at the
        // rate floor. Both clocks start when the read that brought the head is processed, a moment after it.
        if self.requestUnfinished, !self.bodyClocksStarted {
            self.bodyClocksStarted = true
            self.closeUnlessDone(in: self.readTimeout, context: context)
            self.checkBodyRate(context: context)
        }
        context.fireChannelReadComplete()
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
        self.stopRateCheck()
        self.shield.closed(context.channel)
    }

    /// From the head on, every second past the grace period: a body under the floor closes the connection.
    private func checkBodyRate(context: ChannelHandlerContext) {
        self.stopRateCheck()
        guard self.limits.minBodyBytesPerSecond > 0 else { return }
        let grace = TimeAmount.milliseconds(Int64(self.limits.bodyGraceSeconds * 1000))
        self.scheduleRateCheck(in: grace + .seconds(1), context: context)
    }

    private func scheduleRateCheck(in delay: TimeAmount, context: ChannelHandlerContext) {
        let channel = context.channel
        self.rateCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            if self.shield.bodyTooSlow(channel) {
                channel.close(promise: nil)
            } else {
                self.scheduleRateCheck(in: .seconds(1), context: context)
            }
        }
    }

    private func stopRateCheck() {
        self.rateCheck?.cancel()
        self.rateCheck = nil
    }
}
