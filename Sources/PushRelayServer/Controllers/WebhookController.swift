import HTTPTypes
import Hummingbird
import NIOCore
import PushRelayCore

/// ``WebhookEndpoint`` through the router: what answers webhooks where no ``WebhookChannelHandler`` takes
/// them first (the router's tests, a server built without the listener's pipeline).
struct WebhookController<Store: DeliveryRecorder>: Sendable {
    let endpoint: WebhookEndpoint<Store>

    func receive(_ request: Request, context: some RequestContext) async -> Response {
        await self.receive(request, provider: Substring(context.parameters.get("provider") ?? ""), context: context)
    }

    /// `POST /hooks`: the provider is recognised from its headers.
    func receiveDetected(_ request: Request, context: some RequestContext) async -> Response {
        await self.receive(request, provider: nil, context: context)
    }

    private func receive(_ request: Request, provider name: Substring?, context: some RequestContext) async -> Response
    {
        let headers = WebhookHeaders(request.headers)
        let provider: any WebhookProvider
        switch self.endpoint.provider(named: name, headers: headers) {
        case .success(let found): provider = found
        case .failure(let reply): return reply.response
        }
        let reader = BodyReader(limit: self.endpoint.maxBodyBytes, budget: self.endpoint.budget)
        let declaredLength = request.headers[.contentLength].flatMap(Int.init)
        switch await reader.readOrRefuse(request.body, declaredLength: declaredLength) {
        case .success(let (body, held)):
            // The body is held until the store has written it and the answer is built.
            defer { reader.giveBack(held) }
            return await self.endpoint.receive(body, headers: headers, provider: provider, logger: context.logger)
                .response
        case .failure(let refusal):
            return self.endpoint.refused(refusal, provider: provider).response
        }
    }

    /// Any method but POST on a webhook path (``WebhookMethodGuard``).
    func methodNotAllowed(_ providerName: Substring?, context: some RequestContext) -> Response {
        self.endpoint.methodNotAllowed(providerName).response
    }
}

extension WebhookReply {
    /// The reply as the router's response.
    var response: Response {
        Response(status: self.status, headers: self.headerFields, body: ResponseBody(byteBuffer: self.body))
    }
}
