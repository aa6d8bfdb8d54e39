import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PushRelayCore

/// `GET /metrics`: the Prometheus text format. Queue figures are read from the store at each scrape, so
/// they hold across restarts and replicas sharing one store.
struct MetricsController<Store: QueueFigures>: Sendable {
    let store: Store
    let metrics: RelayMetrics
    /// The kinds this binary runs: their gauges are there from the first scrape, at zero.
    var kinds: [WorkKind] = [.createTerrakubeJob]

    func scrape(_ request: Request, context: some RequestContext) async -> Response {
        do {
            let counts = try await self.store.workCounts()
            let oldest = try await self.store.oldestUnfinishedWork()
            self.metrics.queue(counts: counts, oldestUnfinished: oldest, kinds: self.kinds, now: Date())
        } catch {
            // The counters are still worth serving; the queue gauges keep their last values.
            context.logger.warning("Store unavailable to /metrics", metadata: ["relay.error": "\(error)"])
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.exposition()))
        )
    }
}
