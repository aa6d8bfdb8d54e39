import Foundation
import NIOHTTP1
import PushRelayCore

extension HTTPExchange {
    /// A request to a Git host's API; a failure names the host.
    package func send(_ request: StatusRequest) async throws(TransportFailure) -> Answer {
        var exchange = self
        exchange.peer = URLComponents(string: request.url)?.host ?? self.peer
        return try await exchange.send(
            HTTPMethod(rawValue: request.method),
            url: request.url,
            headers: request.headers,
            body: request.body
        )
    }

    /// `location` resolved against `url`, when it has the same scheme, host and port: where a redirect or
    /// a next page may take a request that carries a token.
    static func sameOrigin(_ location: String, as url: String) -> String? {
        guard let base = URL(string: url), let next = URL(string: location, relativeTo: base)?.absoluteURL,
            next.scheme == base.scheme, next.host == base.host, next.port == base.port
        else { return nil }
        return next.absoluteString
    }
}

extension HTTPExchange.Answer {
    /// What the answer means for a post or a token (``StatusAnswer/classify(status:header:body:kind:now:)``).
    package func verdict(_ kind: StatusHostKind) -> StatusAnswer {
        StatusAnswer.classify(
            status: self.status,
            header: { self.headers.first(name: $0) },
            body: self.text,
            kind: kind,
            now: Date()
        )
    }
}
