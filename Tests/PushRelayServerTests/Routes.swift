import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PushRelayCore
import PushRelayServer
import PushRelayStore

/// `serve`'s routes over the reference store in memory, through Hummingbird's router test client: every
/// handler as `serve` runs it, with no socket, no database and no dispatcher, in milliseconds.
struct Routes: Sendable {
    let client: any TestClientProtocol
    let store: InMemoryDeliveryStore
    let metrics: RelayMetrics

    /// Runs `body` with the routes of the config of ``RelayHarness`` (`service` added to `pushrelay.yaml`),
    /// loaded as `serve` loads it.
    static func test(
        service: String = "",
        prepare: @Sendable (String) throws -> Void = { _ in },
        _ body: @Sendable (Routes) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-routes-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Nothing is sent to Terrakube from the routes: the address is never dialled.
        let config = try RelayHarness.writeConfig(
            directory,
            terrakubeURL: "http://127.0.0.1:9",
            service: service,
            prepare: prepare
        )
        let store = InMemoryDeliveryStore()
        let metrics = RelayMetrics(repositoryLabels: config.settings.metricsRepositoryLabel)
        let router = buildRouter(config: ConfigHolder(config), store: store, wake: DispatchWakeUp(), metrics: metrics)
        try await Application(router: router).test(.router) { client in
            try await body(Routes(client: client, store: store, metrics: metrics))
        }
    }

    func post(_ path: String, headers: [(String, String)], body: [UInt8]) async throws -> RelayHarness.Answer {
        try await self.send(path, method: .post, headers: headers, body: body)
    }

    func get(_ path: String) async throws -> RelayHarness.Answer {
        try await self.send(path, method: .get)
    }

    func send(
        _ path: String,
        method: HTTPRequest.Method,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> RelayHarness.Answer {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let response = try await self.client.execute(
            uri: path,
            method: method,
            headers: fields,
            body: body.map { ByteBuffer(bytes: $0) }
        )
        let bytes = Array(buffer: response.body)
        var answer = RelayHarness.Answer(
            status: response.status.code,
            body: (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:],
            text: String(decoding: bytes, as: UTF8.self)
        )
        answer.headers = response.headers
        return answer
    }
}
