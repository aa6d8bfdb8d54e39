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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(declaredLength ?? 0, ServiceSettings.Limits.smallBodyBytes))
        var held = Held()
        do {
            for try await chunk in body {
                let count = chunk.readableBytes
                guard bytes.count + count <= self.limit else {
                    self.giveBack(held)
                    return .tooLarge
                }
                // Only what lies past the body's first small part counts as a large body's.
                let small = max(0, min(count, ServiceSettings.Limits.smallBodyBytes - bytes.count))
                guard small == 0 || self.budget.take(small, large: false) else {
                    self.giveBack(held)
                    return .overBudget
                }
                held.small += small
                guard count == small || self.budget.take(count - small, large: true) else {
                    self.giveBack(held)
                    return .overBudget
                }
                held.large += count - small
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            self.giveBack(held)
            return .unreadable
        }
        return .read(bytes, held)
    }

    func giveBack(_ held: Held) {
        self.budget.giveBack(small: held.small, large: held.large)
    }
}
