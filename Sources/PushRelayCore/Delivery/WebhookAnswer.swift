/// The status code and short JSON body PushRelay answers a webhook with (SPEC section 3).
package struct WebhookAnswer: Sendable, Equatable {
    package var status: String
    package var delivery: String?
    package var jobs: Int?
    package var reason: String?
    /// The HTTP status; not part of the body.
    package var httpStatus: Int

    package init(httpStatus: Int, status: String, delivery: String? = nil, jobs: Int? = nil, reason: String? = nil) {
        self.httpStatus = httpStatus
        self.status = status
        self.delivery = delivery
        self.jobs = jobs
        self.reason = reason
    }

    package static func queued(_ delivery: String, jobs: Int) -> Self {
        .init(httpStatus: 202, status: "queued", delivery: delivery, jobs: jobs)
    }

    package static func ignored(_ delivery: String?, reason: String) -> Self {
        .init(httpStatus: 200, status: "ignored", delivery: delivery, reason: reason)
    }

    package static func duplicate(_ delivery: String) -> Self {
        .init(httpStatus: 200, status: "duplicate", delivery: delivery)
    }

    package static func error(_ httpStatus: Int, _ reason: String) -> Self {
        .init(httpStatus: httpStatus, status: "error", reason: reason)
    }

    /// The body bytes; `status` comes first so a human reading a provider's delivery log sees it at once.
    package func encodedBody() -> [UInt8] {
        var members: [(String, String)] = [("status", JSONText.quote(self.status))]
        if let delivery = self.delivery { members.append(("delivery", JSONText.quote(delivery))) }
        if let jobs = self.jobs { members.append(("jobs", String(jobs))) }
        if let reason = self.reason { members.append(("reason", JSONText.quote(reason))) }
        return Array((JSONText.object(members) + "\n").utf8)
    }
}
