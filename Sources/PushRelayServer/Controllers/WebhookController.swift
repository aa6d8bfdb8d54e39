import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PushRelayCore

/// `POST /hooks/{provider}` and `POST /hooks`: verify, route, store durably, then answer.
/// The Terrakube calls happen later, in ``WorkDispatcher``.
struct WebhookController<Store: DeliveryRecorder>: Sendable {
    let config: ConfigHolder
    let store: Store
    let wake: DispatchWakeUp
    let metrics: RelayMetrics
    /// Shared by every connection: what bodies may hold of the process's memory.
    let budget: BodyBudget
    /// Told of each delivery write's outcome, for `/readyz`.
    let writes: DeliveryWriteHealth

    func receive(_ request: Request, context: some RequestContext) async -> Response {
        let name = context.parameters.get("provider") ?? ""
        guard let provider = WebhookProviders.provider(named: name) else {
            // The path is not echoed: nothing an unauthenticated client sends comes back in an answer.
            let known = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
            return self.answer(.error(404, "unknown provider; use one of \(known)"), provider: nil, context: context)
        }
        return await self.receive(request, provider: provider, headers: Self.headers(of: request), context: context)
    }

    /// `POST /hooks`: the provider is recognised from its headers.
    func receiveDetected(_ request: Request, context: some RequestContext) async -> Response {
        let headers = Self.headers(of: request)
        guard let provider = WebhookProviders.detect(headers) else {
            return self.answer(
                .error(400, "cannot tell the provider from the headers; use /hooks/{provider}"),
                provider: nil,
                context: context
            )
        }
        return await self.receive(request, provider: provider, headers: headers, context: context)
    }

    /// - Parameter headers: the request's, read once.
    private func receive(
        _ request: Request,
        provider: any WebhookProvider,
        headers: WebhookHeaders,
        context: some RequestContext
    ) async -> Response {
        let config = self.config.config
        let limit = config.settings.limits.maxBodyBytes
        let declaredLength = request.headers[.contentLength].flatMap(Int.init)
        let reader = BodyReader(limit: limit, budget: self.budget)
        switch await reader.readOrRefuse(request.body, declaredLength: declaredLength) {
        case .success(let (body, held)):
            // The body is held until the store has written it and the answer is built.
            defer { reader.giveBack(held) }
            return await self.evaluate(body, headers: headers, provider: provider, config: config, context: context)
        case .failure(let refusal):
            var response = self.answer(refusal.answer, provider: provider, context: context)
            refusal.apply(to: &response)
            return response
        }
    }

    private func evaluate(
        _ body: [UInt8],
        headers: WebhookHeaders,
        provider: any WebhookProvider,
        config: RelayConfig,
        context: some RequestContext
    ) async -> Response {
        let intake = WebhookIntake(config: config)
        let outcome = intake.evaluate(provider: provider, headers: headers, body: body)
        switch outcome {
        case .reject(let answer):
            // Debug, not info: an unauthenticated client must not be able to flood the logs.
            context.logger.debug(
                "Webhook refused",
                metadata: [
                    "relay.provider": "\(provider.kind.rawValue)", "relay.status": "\(answer.httpStatus)",
                    "relay.reason": "\(answer.reason ?? "")",
                ]
            )
            return self.answer(answer, provider: provider, context: context)
        case .accept(let plan):
            return await self.store(plan, context: context)
        }
    }

    private func store(_ planned: DeliveryPlan, context: some RequestContext) async -> Response {
        let answer: WebhookAnswer
        // As the store settled it against the remembered heads: a push already queued asks for nothing.
        var plan = planned
        do {
            switch try await self.store.record(planned) {
            case .duplicate:
                answer = .duplicate(planned.record.deliveryID)
            case .recorded(_, let settled):
                plan = settled
                answer = settled.answer
                if settled.record.decision == .queue { self.wake.signal() }
            }
            self.writes.writeSucceeded()
        } catch {
            self.writes.writeFailed(bodyBytes: planned.record.body.count)
            context.logger.error(
                "Store unavailable",
                metadata: [
                    "relay.delivery.id": "\(planned.record.deliveryID)",
                    "relay.provider": "\(planned.record.provider.rawValue)", "relay.error": "\(error)",
                ]
            )
            return self.answer(
                .error(503, "store unavailable; retry later"),
                provider: WebhookProviders.provider(for: planned.record.provider),
                context: context
            )
        }
        let delivery = plan.record
        // Metadata passed with the call, not set on a copy of the logger: it is then built only when the
        // level lets the line through, and this runs for every delivery.
        context.logger.info(
            "Delivery",
            metadata: [
                "relay.delivery.id": "\(delivery.deliveryID)", "relay.provider": "\(delivery.provider.rawValue)",
                "relay.repo": "\(delivery.repository ?? "-")",
                "relay.ref": "\(delivery.ref ?? "-")",
                "relay.decision": "\(answer.status)",
                "relay.reason": "\(delivery.reason)",
                "relay.jobs": "\(answer.status == "queued" ? plan.jobs.count : 0)",
                "relay.signature": "\(delivery.signature)",
            ]
        )
        // Only a configured repository names a series (the intake's own lookup found it): anything else
        // would let senders mint label values.
        self.metrics.delivery(
            provider: delivery.provider.rawValue,
            answer: answer,
            repository: plan.configuredRepository
        )
        return self.answer(answer, context: context)
    }

    /// Any method but POST on a webhook path (``WebhookMethodGuard``), counted under its provider.
    func methodNotAllowed(_ providerName: Substring?, context: some RequestContext) -> Response {
        let provider = WebhookProviders.provider(named: String(providerName ?? ""))
        var response = self.answer(.error(405, "use POST"), provider: provider, context: context)
        response.headers[.allow] = "POST"
        return response
    }

    /// A refusal, counted under its provider (`unknown` when there is none).
    private func answer(
        _ answer: WebhookAnswer,
        provider: (any WebhookProvider)?,
        context: some RequestContext
    ) -> Response {
        self.metrics.delivery(provider: provider?.kind.rawValue ?? "unknown", answer: answer)
        return self.answer(answer, context: context)
    }

    private func answer(_ answer: WebhookAnswer, context: some RequestContext) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.httpStatus),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.encodedBody()))
        )
    }

    static func headers(of request: Request) -> WebhookHeaders {
        WebhookHeaders(request.headers.map { (name: $0.name.rawName, value: $0.value) })
    }
}
