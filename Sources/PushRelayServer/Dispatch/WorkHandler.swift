import Logging
import PushRelayCore

/// What one kind of work does, with the kind's payload (``WorkType``). The dispatcher claims items of the
/// kinds it has handlers for, reads each item's payload once, and hands both to its kind's handler; an item
/// whose payload cannot be read fails with the reason, and no handler sees it.
package protocol WorkHandler: Sendable {
    associatedtype Payload: Codable & Sendable

    var type: WorkType<Payload> { get }

    /// Runs one attempt. Never throws: every failure is an outcome (retry, or failed with the reason).
    /// - Parameter logger: carries the item's id, kind and delivery.
    func perform(_ work: ClaimedWork, _ payload: Payload, logger: Logger) async -> WorkOutcome

    /// Logs an attempt's outcome once it is recorded, in the kind's words.
    func log(_ outcome: WorkOutcome, of work: ClaimedWork, _ payload: Payload, attempt: Int, logger: Logger)

    /// How many claimed items of this kind one ``perform(batch:logger:)`` takes: above 1 for a kind whose
    /// items are cheaper together (one Terrakube request for many followed jobs).
    var batchSize: Int { get }

    /// Runs one attempt of each item; one outcome per item, in order.
    func perform(batch: [(work: ClaimedWork, payload: Payload)], logger: Logger) async -> [WorkOutcome]
}

extension WorkHandler {
    package var kind: WorkKind { self.type.kind }

    package var batchSize: Int { 1 }

    package func perform(batch: [(work: ClaimedWork, payload: Payload)], logger: Logger) async -> [WorkOutcome] {
        var outcomes: [WorkOutcome] = []
        for (work, payload) in batch { outcomes.append(await self.perform(work, payload, logger: logger)) }
        return outcomes
    }

    package func log(_ outcome: WorkOutcome, of work: ClaimedWork, _ payload: Payload, attempt: Int, logger: Logger) {
        outcome.log(attempt: attempt, logger: logger)
    }
}

extension WorkOutcome {
    /// The line any kind's outcome is logged with, unless its handler says more.
    func log(attempt: Int, logger: Logger) {
        switch self {
        case .done:
            logger.debug("Work done", metadata: ["relay.attempt": "\(attempt)"])
        case .retry(_, let error, let after, _):
            logger.warning(
                "Work failed; will retry",
                metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)", "relay.retry.in": "\(after)"]
            )
        case .failed(_, let error, _):
            logger.error("Work failed", metadata: ["relay.error": "\(error)", "relay.attempt": "\(attempt)"])
        case .reschedule(_, let after, _):
            logger.trace("Work rescheduled", metadata: ["relay.retry.in": "\(after)"])
        }
    }
}
