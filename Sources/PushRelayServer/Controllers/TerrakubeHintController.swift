import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PushRelayCore

/// `POST /hooks/terrakube`: Terrakube's job notifications, served once `terrakube.notification_secret_env`
/// (or `_file`) is set. Verified over the raw body, then taken only as a hint: the job's follow item is
/// made due now, and the follower reads the job from Terrakube as it always does.
struct TerrakubeHintController<Queue: WorkQueue>: Sendable {
    let config: ConfigHolder
    let queue: Queue
    let metrics: RelayMetrics
    let budget: BodyBudget

    /// A notification is small (its failure reason is cut to 500 characters): anything larger is not one.
    static var maxBodyBytes: Int { 64 << 10 }
    static var signature: HTTPField.Name { HTTPField.Name(TerrakubeNotification.signatureHeader)! }

    func receive(_ request: Request, context: some RequestContext) async -> Response {
        let secrets = self.config.config.settings.terrakube.notificationSecrets
        guard !secrets.isEmpty else {
            return self.answer(
                .error(404, "Terrakube notifications are not configured (terrakube.notification_secret_env)")
            )
        }
        // Read within the process's body budget, as webhooks are.
        let reader = BodyReader(limit: Self.maxBodyBytes, budget: self.budget)
        let body: [UInt8]
        switch await reader.readOrRefuse(
            request.body,
            declaredLength: request.headers[.contentLength].flatMap(Int.init)
        ) {
        case .success(let (bytes, held)):
            reader.giveBack(held)
            body = bytes
        case .failure(let refusal):
            return self.answer(refusal)
        }
        switch TerrakubeNotification.verify(signature: request.headers[Self.signature], body: body, secrets: secrets) {
        case .valid:
            break
        case .absent, .notChecked, .polled:
            return self.answer(.error(401, "missing X-Terrakube-Signature"))
        case .invalid(let reason):
            return self.answer(.error(401, "X-Terrakube-Signature does not match (\(reason))"))
        }
        guard let notification = TerrakubeNotification(body: body) else {
            return self.answer(.error(400, "not a Terrakube job notification: no integer 'jobId'"))
        }
        do {
            guard try await self.queue.hasten(kind: .followTerrakubeJob, key: FollowedJob.key(notification.jobID))
            else {
                return self.answer(.ignored(nil, reason: "Terrakube job \(notification.jobID) is not followed"))
            }
        } catch {
            return self.answer(WebhookReply(answer: .error(503, "store unavailable; retry later"), retryAfter: "5"))
        }
        return self.answer(
            WebhookAnswer(httpStatus: 202, status: "hinted", reason: "Terrakube job \(notification.jobID) is read now")
        )
    }

    private func answer(_ answer: WebhookAnswer) -> Response {
        self.answer(WebhookReply(answer: answer))
    }

    private func answer(_ reply: WebhookReply) -> Response {
        self.metrics.delivery(provider: "terrakube", answer: reply.answer)
        return reply.response
    }
}
