import HTTPTypes
import Logging
import NIOCore
import PushRelayCore

/// `POST /hooks/{provider}` and `POST /hooks` apart from how the request arrived: the provider found, the
/// body verified, routed and stored durably, then the answer. Served by ``WebhookChannelHandler`` on the
/// listener's connections, and by ``WebhookController`` through the router. The Terrakube calls happen
/// later, in ``WorkDispatcher``.
struct WebhookEndpoint<Store: DeliveryRecorder>: Sendable {
    let config: ConfigHolder
    let store: Store
    let wake: DispatchWakeUp
    let metrics: RelayMetrics
    /// Shared by every connection: what bodies may hold of the process's memory.
    let budget: BodyBudget
    /// Told of each delivery write's outcome, for `/readyz`.
    let writes: DeliveryWriteHealth

    /// The provider a request is for: named by the path's `{provider}` segment, or, for `/hooks` (`nil`),
    /// recognised from the headers; else the refusal.
    func provider(named name: Substring?, headers: WebhookHeaders) -> Result<any WebhookProvider, WebhookReply> {
        guard let name else {
            guard let provider = WebhookProviders.detect(headers) else {
                return .failure(
                    self.refusal(.error(400, "cannot tell the provider from the headers; use /hooks/{provider}"))
                )
            }
            return .success(provider)
        }
        guard let provider = WebhookProviders.provider(named: String(name)) else {
            // The path is not echoed: nothing an unauthenticated client sends comes back in an answer.
            let known = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(self.refusal(.error(404, "unknown provider; use one of \(known)")))
        }
        return .success(provider)
    }

    /// The body limit in force for a request starting now.
    var maxBodyBytes: Int { self.config.config.settings.limits.maxBodyBytes }

    /// A body that could not be read, counted under its provider.
    func refused(_ refusal: WebhookReply, provider: any WebhookProvider) -> WebhookReply {
        self.counted(refusal, provider: provider)
    }

    /// Verifies, routes and stores a delivery whose body has been read.
    func receive(
        _ body: [UInt8],
        headers: WebhookHeaders,
        provider: any WebhookProvider,
        logger: Logger
    ) async -> WebhookReply {
        let intake = WebhookIntake(config: self.config.config)
        switch intake.evaluate(provider: provider, headers: headers, body: body) {
        case .reject(let answer):
            // Debug, not info: an unauthenticated client must not be able to flood the logs.
            logger.debug(
                "Webhook refused",
                metadata: [
                    "relay.provider": "\(provider.kind.rawValue)", "relay.status": "\(answer.httpStatus)",
                    "relay.reason": "\(answer.reason ?? "")",
                ]
            )
            return self.refusal(answer, provider: provider)
        case .accept(let plan):
            return await self.store(plan, logger: logger)
        }
    }

    private func store(_ planned: DeliveryPlan, logger: Logger) async -> WebhookReply {
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
            logger.error(
                "Store unavailable",
                metadata: [
                    "relay.delivery.id": "\(planned.record.deliveryID)",
                    "relay.provider": "\(planned.record.provider.rawValue)", "relay.error": "\(error)",
                ]
            )
            return self.refusal(
                .error(503, "store unavailable; retry later"),
                provider: WebhookProviders.provider(for: planned.record.provider)
            )
        }
        let delivery = plan.record
        // Metadata passed with the call, not set on a copy of the logger: it is then built only when the
        // level lets the line through, and this runs for every delivery.
        logger.info(
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
        return WebhookReply(answer: answer)
    }

    /// Any method but POST on a webhook path (``WebhookMethodGuard``), counted under its provider.
    func methodNotAllowed(_ providerName: Substring?) -> WebhookReply {
        let provider = WebhookProviders.provider(named: String(providerName ?? ""))
        var reply = self.refusal(.error(405, "use POST"), provider: provider)
        reply.allow = "POST"
        return reply
    }

    /// A refusal, counted under its provider (`unknown` when there is none).
    private func refusal(_ answer: WebhookAnswer, provider: (any WebhookProvider)? = nil) -> WebhookReply {
        self.counted(WebhookReply(answer: answer), provider: provider)
    }

    private func counted(_ reply: WebhookReply, provider: (any WebhookProvider)?) -> WebhookReply {
        self.metrics.delivery(provider: provider?.kind.rawValue ?? "unknown", answer: reply.answer)
        return reply
    }
}

/// A webhook endpoint's answer as HTTP: its status and JSON body, and what the connection does after it.
struct WebhookReply: Error, Sendable {
    var answer: WebhookAnswer
    /// Ends the connection with the answer (``RequestDeadlineHandler`` closes it).
    var closesConnection = false
    var retryAfter: String?
    var allow: String?

    init(answer: WebhookAnswer, closesConnection: Bool = false, retryAfter: String? = nil) {
        self.answer = answer
        self.closesConnection = closesConnection
        self.retryAfter = retryAfter
    }

    var status: HTTPResponse.Status { HTTPResponse.Status(code: self.answer.httpStatus) }

    /// The header fields besides those the server adds (`Content-Length`, `Date`, `Server`).
    var headerFields: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if self.closesConnection { fields[.connection] = "close" }
        if let retryAfter = self.retryAfter { fields[.retryAfter] = retryAfter }
        if let allow = self.allow { fields[.allow] = allow }
        return fields
    }

    var body: ByteBuffer { ByteBuffer(bytes: self.answer.encodedBody()) }
}
