import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Git host's commit status API on loopback: answers every POST as the hosts do when a status is
/// taken (`201` with the status), records each request exactly as it came (the path undecoded), and
/// fails on demand.
package final class GitHostStandIn: Sendable {
    package struct Recorded: Sendable {
        package var method: String
        /// The request target as sent: GitLab's `%2F` stays encoded.
        package var target: String
        package var headers: [String: String]
        package var body: [UInt8]

        package var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]
        }
    }

    /// What the next posts meet instead of a `201`, one each.
    package enum Fault: Sendable {
        case answer(Int, headers: [String: String] = [:], body: String = "{}")
        /// Hold the answer this long, then `201`.
        case hang(Duration)
    }

    private struct State {
        var requests: [Recorded] = []
        var faults: [Fault] = []
    }

    private let state = Mutex(State())

    package init() {}

    package var requests: [Recorded] { self.state.withLock { $0.requests } }

    package func inject(_ faults: Fault...) {
        self.state.withLock { $0.faults.append(contentsOf: faults) }
    }

    /// Runs on `127.0.0.1` while `body` runs; `body` gets the base URL.
    package func whileRunning<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let ports = PortBox()
        var logger = Logger(label: "git-host-stand-in")
        logger.logLevel = .warning
        let router = Router(context: BasicRequestContext.self)
        router.post("/**") { request, _ in try await self.answer(request) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.set($0.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await group.whileRunning { try await body("http://127.0.0.1:\(await ports.port())") }
    }

    private func answer(_ request: Request) async throws -> Response {
        let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
        let recorded = Recorded(
            method: request.method.rawValue,
            target: request.uri.description,
            headers: Dictionary(
                request.headers.map { ($0.name.canonicalName, $0.value) },
                uniquingKeysWith: { first, _ in first }
            ),
            body: body
        )
        let fault = self.state.withLock { state -> Fault? in
            state.requests.append(recorded)
            return state.faults.isEmpty ? nil : state.faults.removeFirst()
        }
        switch fault {
        case .answer(let status, let headers, let text):
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
            return Response(
                status: HTTPResponse.Status(code: status),
                headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(string: text))
            )
        case .hang(let duration):
            try? await Task.sleep(for: duration)
            return Self.created(body)
        case nil:
            return Self.created(body)
        }
    }

    private static func created(_ body: [UInt8]) -> Response {
        Response(
            status: .created,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
