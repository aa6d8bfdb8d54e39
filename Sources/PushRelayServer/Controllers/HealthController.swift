import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PushRelayCore

/// `/healthz` (the process answers) and `/readyz` (config loaded and the store takes writes).
struct HealthController<Store: StoreHealth>: Sendable {
    let store: Store
    let writes: DeliveryWriteHealth

    func healthz(_ request: Request, context: some RequestContext) -> Response {
        Self.json(.ok, #"{"status":"ok"}"#)
    }

    func readyz(_ request: Request, context: some RequestContext) async -> Response {
        do {
            if let bytes = self.writes.probeBytes {
                try await self.store.checkWritable(deliveryOf: bytes)
                self.writes.writeSucceeded()
            } else {
                try await self.store.checkWritable()
            }
            return Self.json(.ok, #"{"status":"ready"}"#)
        } catch {
            context.logger.warning("Store not writable", metadata: ["relay.error": "\(error)"])
            return Self.json(.serviceUnavailable, #"{"status":"unavailable","reason":"store does not accept writes"}"#)
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n"))
        )
    }
}
