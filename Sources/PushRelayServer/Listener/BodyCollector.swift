import NIOCore
import PushRelayCore

/// A webhook body gathered chunk by chunk as it arrives, within the body limit and the shared
/// ``BodyBudget``: the rule both ways of reading a body follow (``BodyReader`` over a request's async body,
/// ``WebhookChannelHandler`` over the parts its channel reads).
struct BodyCollector {
    let limit: Int
    let budget: BodyBudget
    private(set) var bytes: [UInt8] = []
    private var held = BodyReader.Held()

    init(limit: Int, budget: BodyBudget, declaredLength: Int?) {
        self.limit = limit
        self.budget = budget
        self.bytes.reserveCapacity(min(declaredLength ?? 0, ServiceSettings.Limits.smallBodyBytes))
    }

    /// Takes `chunk`; on a refusal, everything taken so far is given back and the refusal returned.
    mutating func append(_ chunk: ByteBuffer) -> BodyReader.Outcome? {
        let count = chunk.readableBytes
        guard self.bytes.count + count <= self.limit else {
            self.abandon()
            return .tooLarge
        }
        // Only what lies past the body's first small part counts as a large body's.
        let small = max(0, min(count, ServiceSettings.Limits.smallBodyBytes - self.bytes.count))
        guard small == 0 || self.budget.take(small, large: false) else {
            self.abandon()
            return .overBudget
        }
        self.held.small += small
        guard count == small || self.budget.take(count - small, large: true) else {
            self.abandon()
            return .overBudget
        }
        self.held.large += count - small
        self.bytes.append(contentsOf: chunk.readableBytesView)
        return nil
    }

    /// The body and what it holds of the budget, given back by the caller once its request is answered.
    func finish() -> BodyReader.Outcome { .read(self.bytes, self.held) }

    /// Gives back what the body took, when it will not be read to its end.
    mutating func abandon() {
        self.budget.giveBack(small: self.held.small, large: self.held.large)
        self.held = BodyReader.Held()
        self.bytes = []
    }
}
