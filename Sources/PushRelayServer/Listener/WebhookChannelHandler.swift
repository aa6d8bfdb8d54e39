import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import PushRelayCore

/// Answers `POST /hooks/{provider}` and `POST /hooks` on the connection itself, with ``WebhookEndpoint``;
/// every other request passes on to the router. A webhook then costs no trip through Hummingbird's async
/// channel, router, request and response: about a third of a delivery's CPU, measured (`Benchmarks/floor.sh`).
///
/// It sits after Hummingbird's connection-state handler, which so sees every request and response: its idle
/// timeout and its graceful close (after the responses in progress, on shutdown) hold for webhooks too. Responses leave
/// in the order their requests came: a webhook that follows requests the router has not answered yet waits
/// for their responses, and whatever arrives while a webhook is verified and stored waits for its answer
/// (reads are paused meanwhile, so what waits is at most one read's worth).
final class WebhookChannelHandler<Store: DeliveryRecorder>: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A webhook whose body is arriving.
    private struct Webhook {
        var provider: any WebhookProvider
        var headers: WebhookHeaders
        var body: BodyCollector
        /// The request asked for the connection to end with its answer.
        var closes: Bool
    }

    private enum State {
        /// Between requests.
        case idle
        /// A request the router answers: its parts pass on.
        case routing
        case collecting(Webhook)
        /// A webhook already answered (refused) while its body still arrives: the rest is dropped.
        case discarding
        /// A webhook is verified and stored; what arrives meanwhile is held.
        case answering
    }

    private let endpoint: WebhookEndpoint<Store>
    private let logger: Logger
    private let serverName: String
    private var state = State.idle
    /// Requests passed to the router whose responses have not all been written.
    private var routed = 0
    /// Parts read while a webhook is answered, or from a webhook's head on while the router still owes
    /// responses: handled, in order, once those are written.
    private var held = CircularBuffer<HTTPRequestPart>()
    /// A read asked for while parts are held or a webhook answered, issued once they are done with.
    private var readHeld = false
    private var removed = false

    init(endpoint: WebhookEndpoint<Store>, logger: Logger, serverName: String) {
        self.endpoint = endpoint
        self.logger = logger
        self.serverName = serverName
    }

    private var waiting: Bool {
        if case .answering = self.state { return true }
        return !self.held.isEmpty
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        guard !self.waiting else {
            self.held.append(part)
            return
        }
        self.handle(part, context: context)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch self.state {
        case .idle:
            guard case .head(let head) = part, let name = Self.webhook(head) else {
                if case .head = part {
                    self.routed += 1
                    self.state = .routing
                }
                context.fireChannelRead(self.wrapInboundOut(part))
                return
            }
            guard self.routed == 0 else {
                self.held.append(part)
                return
            }
            self.begin(head, provider: name, context: context)
        case .routing:
            if case .end = part { self.state = .idle }
            context.fireChannelRead(self.wrapInboundOut(part))
        case .collecting(var webhook):
            switch part {
            case .head:
                // The decoder ends a request before it starts the next: never here.
                context.close(promise: nil)
            case .body(let chunk):
                // The state lets go of the body first, so that appending to it does not copy it.
                self.state = .discarding
                if let refused = webhook.body.append(chunk) {
                    self.refuse(refused, provider: webhook.provider, context: context)
                } else {
                    self.state = .collecting(webhook)
                }
            case .end:
                self.state = .answering
                self.answer(webhook, context: context)
            }
        case .discarding:
            if case .end = part { self.state = .idle }
        case .answering:
            self.held.append(part)
        }
    }

    /// A webhook's head: its provider found and its declared length checked before any body is read.
    private func begin(_ head: HTTPRequest, provider name: Substring?, context: ChannelHandlerContext) {
        let headers = WebhookHeaders(head.headerFields)
        let closes = head.headerFields[.connection] == "close"
        switch self.endpoint.provider(named: name, headers: headers) {
        case .failure(let reply):
            self.state = .discarding
            self.write(reply, closes: closes, context: context)
        case .success(let provider):
            let limit = self.endpoint.maxBodyBytes
            let declared = head.headerFields[.contentLength].flatMap(Int.init)
            if let refusal = WebhookReply.tooLarge(declared: declared, limit: limit) {
                self.state = .discarding
                self.write(self.endpoint.refused(refusal, provider: provider), closes: closes, context: context)
                return
            }
            let body = BodyCollector(limit: limit, budget: self.endpoint.budget, declaredLength: declared)
            self.state = .collecting(Webhook(provider: provider, headers: headers, body: body, closes: closes))
        }
    }

    private func refuse(_ outcome: BodyReader.Outcome, provider: any WebhookProvider, context: ChannelHandlerContext) {
        guard case .failure(let refusal) = WebhookReply.bodyOrRefusal(outcome, limit: self.endpoint.maxBodyBytes) else {
            return
        }
        self.write(self.endpoint.refused(refusal, provider: provider), closes: false, context: context)
    }

    /// Verifies and stores the webhook off the event loop, then answers on it.
    private func answer(_ webhook: Webhook, context: ChannelHandlerContext) {
        guard case .read(let body, let held) = webhook.body.finish() else { return }
        let endpoint = self.endpoint
        let logger = self.logger
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let (headers, provider, closes) = (webhook.headers, webhook.provider, webhook.closes)
        Task {
            let reply = await endpoint.receive(body, headers: headers, provider: provider, logger: logger)
            loop.execute {
                // The body is held until the store has written it and the answer is built.
                endpoint.budget.giveBack(small: held.small, large: held.large)
                let (handler, context) = bound.value
                handler.answered(reply, closes: closes, context: context)
            }
        }
    }

    private func answered(_ reply: WebhookReply, closes: Bool, context: ChannelHandlerContext) {
        guard !self.removed else { return }
        self.state = .idle
        self.write(reply, closes: closes, context: context)
        self.resume(context: context)
    }

    private func write(_ reply: WebhookReply, closes: Bool, context: ChannelHandlerContext) {
        var fields = reply.headerFields
        if closes { fields[.connection] = "close" }
        let body = reply.body
        fields[.contentLength] = String(body.readableBytes)
        fields[.date] = HTTPDate.now()
        fields[.server] = self.serverName
        context.write(
            self.wrapOutboundOut(.head(HTTPResponse(status: reply.status, headerFields: fields))),
            promise: nil
        )
        context.write(self.wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Handles what was held, in order, until a webhook is being answered again or waits on the router.
    private func resume(context: ChannelHandlerContext) {
        var handled = false
        while let part = self.held.first {
            if case .answering = self.state { break }
            if case .idle = self.state, self.routed > 0, case .head(let head) = part, Self.webhook(head) != nil {
                break
            }
            self.held.removeFirst()
            self.handle(part, context: context)
            handled = true
        }
        if handled { context.fireChannelReadComplete() }
        guard !self.waiting else { return }
        if self.readHeld {
            self.readHeld = false
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = self.unwrapOutboundIn(data) else { return }
        self.routed = max(0, self.routed - 1)
        if self.routed == 0, !self.held.isEmpty {
            // Not from inside the router's write: once it has returned.
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = bound.value
                guard !handler.removed else { return }
                handler.resume(context: context)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        guard !self.waiting else {
            self.readHeld = true
            return
        }
        context.read()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.removed = true
        if case .collecting(var webhook) = self.state { webhook.body.abandon() }
    }

    /// `nil` for a request this handler does not take; `.some(nil)` for `POST /hooks`, the segment for
    /// `POST /hooks/{provider}`. `/hooks/terrakube` is the router's.
    static func webhook(_ head: HTTPRequest) -> Substring?? {
        guard head.method == .post, let target = head.path,
            let hook = WebhookPath.provider(in: target.prefix { $0 != "?" }), hook != "terrakube"
        else { return nil }
        return hook
    }
}
