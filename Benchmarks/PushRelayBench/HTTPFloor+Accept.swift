import Foundation
import NIOCore
import NIOHTTP1
import PushRelayCore

extension BenchCommand {
    /// The accept path with nothing of the listener around it: SwiftNIO's HTTP/1 pipeline, then the body
    /// gathered, the real intake (verify, read, route, plan) and the real store's `record`, answered `202`
    /// once it returns. No deadlines, limits, metrics or log line: what a delivery could cost at the least
    /// with this intake and this store, for `Benchmarks/floor.sh` to set beside `serve`.
    final class Accept: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let intake: WebhookIntake
        private let store: any DeliveryRecorder
        private var headers = WebhookHeaders()
        private var body = ByteBuffer()

        init(intake: WebhookIntake, store: any DeliveryRecorder) {
            self.intake = intake
            self.store = store
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.headers = WebhookHeaders(head.headers.map { (name: $0.name, value: $0.value) })
                self.body.clear()
            case .body(var part):
                self.body.writeBuffer(&part)
            case .end:
                let bytes = Array(self.body.readableBytesView)
                switch self.intake.evaluate(provider: GitHubProvider(), headers: self.headers, body: bytes) {
                case .reject(let answer):
                    Self.answer(answer, context: context)
                case .accept(let plan):
                    Self.record(plan, in: self.store, context: context)
                }
            }
        }

        /// Records `plan`, then answers on the connection's event loop.
        private static func record(_ plan: DeliveryPlan, in store: any DeliveryRecorder, context: ChannelHandlerContext)
        {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let loop = context.eventLoop
            Task {
                let answer = await Self.record(plan, in: store)
                loop.execute { Self.answer(answer, context: bound.value) }
            }
        }

        private static func record(_ plan: DeliveryPlan, in store: any DeliveryRecorder) async -> WebhookAnswer {
            do {
                switch try await store.record(plan) {
                case .duplicate: return .duplicate(plan.record.deliveryID)
                case .recorded(_, let settled): return settled.answer
                }
            } catch {
                return .error(503, "store unavailable")
            }
        }

        private static func answer(_ answer: WebhookAnswer, context: ChannelHandlerContext) {
            let body = answer.encodedBody()
            var head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: answer.httpStatus))
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        }
    }
}
