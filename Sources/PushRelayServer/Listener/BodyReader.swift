import HTTPTypes
import Hummingbird
import NIOCore
import PushRelayCore

/// Reads a webhook body into memory as it arrives, within the body limit and the shared ``BodyBudget``.
struct BodyReader {
    enum Outcome {
        case read([UInt8], Held)
        case tooLarge
        /// The budget is spent: the server holds as many bodies as it may.
        case overBudget
        case unreadable
    }

    /// What a body took of the budget, to give back once its request is answered.
    struct Held {
        var small = 0
        var large = 0
    }

    let limit: Int
    let budget: BodyBudget

    func read(_ body: RequestBody, declaredLength: Int?) async -> Outcome {
        var collector = BodyCollector(limit: self.limit, budget: self.budget, declaredLength: declaredLength)
        do {
            for try await chunk in body {
                if let refused = collector.append(chunk) { return refused }
            }
        } catch {
            collector.abandon()
            return .unreadable
        }
        return collector.finish()
    }

    func giveBack(_ held: Held) {
        self.budget.giveBack(small: held.small, large: held.large)
    }
}

extension BodyReader {
    /// The body, or the refusal every endpoint gives for it; the caller gives the body's budget back once
    /// its request is answered.
    func readOrRefuse(_ body: RequestBody, declaredLength: Int?) async -> Result<([UInt8], Held), WebhookReply> {
        if let refusal = WebhookReply.tooLarge(declared: declaredLength, limit: self.limit) { return .failure(refusal) }
        return WebhookReply.bodyOrRefusal(await self.read(body, declaredLength: declaredLength), limit: self.limit)
    }
}

/// A body that was not read, as both POST endpoints answer it. A refusal midway ends the connection with
/// its answer (``RequestDeadlineHandler`` closes it) instead of reading and dropping the rest of the body.
extension WebhookReply {
    static func tooLarge(limit: Int) -> Self {
        WebhookReply(answer: .error(413, "body over the \(limit)-byte limit"), closesConnection: true)
    }

    /// A declared oversize body, refused before any of it is read.
    static func tooLarge(declared length: Int?, limit: Int) -> Self? {
        guard let length, length > limit else { return nil }
        return .tooLarge(limit: limit)
    }

    /// A read's outcome as the body or the refusal every endpoint gives for it.
    static func bodyOrRefusal(_ outcome: BodyReader.Outcome, limit: Int) -> Result<([UInt8], BodyReader.Held), Self> {
        switch outcome {
        case .read(let bytes, let held):
            .success((bytes, held))
        case .tooLarge:
            .failure(.tooLarge(limit: limit))
        case .overBudget:
            .failure(
                WebhookReply(
                    answer: .error(503, "too many request bodies in memory; retry later"),
                    closesConnection: true,
                    retryAfter: "5"
                )
            )
        case .unreadable:
            .failure(WebhookReply(answer: .error(400, "request body could not be read")))
        }
    }
}
