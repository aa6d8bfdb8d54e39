import Foundation

/// Everything `serve` needs of a store, one contract per concern; each caller names only the one it uses.
///
/// Two backends implement all of them for `serve`: SQLite (one process, the default) and PostgreSQL (any
/// number of replicas on one database). A third, `InMemoryDeliveryStore`, writes the queue's rules in plain
/// Swift; all three pass the same behaviour suite (`StoreContractTests`), which holds the SQL to those rules.
package typealias DeliveryStore = DeliveryRecorder & WorkQueue & StoreHealth & QueueFigures & DeliveryInspector
    & DeliveryPruner

/// Accepting deliveries: what the webhook handler and `deliveries redeliver` write.
///
/// Implementations must have committed a delivery and its work durably before ``record(_:)`` returns:
/// the webhook is answered `202` on the strength of it.
package protocol DeliveryRecorder: Sendable {
    /// Stores a verified delivery and the work it queues, as given, in one transaction.
    /// - Returns: ``RecordResult/duplicate`` when this provider's delivery id is already stored, by this
    ///   process or any other sharing the store; nothing is written then.
    func record(_ delivery: DeliveryRecord, work: [NewWork]) async throws -> RecordResult

    /// Queues the work the delivery itself queued again, as new items (one per distinct kind and
    /// payload, follow-ups not included), on purpose; returns how many.
    func requeueWork(provider: ProviderKind, deliveryID: String) async throws -> Int
}

extension DeliveryRecorder {
    /// Stores what the intake decided: the plan's record and its work.
    package func record(_ plan: DeliveryPlan) async throws -> RecordResult {
        try await self.record(plan.record, work: plan.work)
    }
}

package enum RecordResult: Sendable, Equatable {
    case recorded(Int64)
    case duplicate
}

/// Retention: what the sweeper removes, a batch at a time, so that no one statement holds the store long.
package protocol DeliveryPruner: Sendable {
    /// Deletes up to `limit` deliveries received before `cutoff` whose work is all done or failed (or
    /// that have none), with their work and attempts, oldest first.
    /// - Returns: how many deliveries were deleted.
    func pruneDeliveries(receivedBefore cutoff: Date, limit: Int) async throws -> Int
}

/// Whether the store takes writes now (for `/readyz`).
package protocol StoreHealth: Sendable {
    /// Fails when the store cannot take a write.
    func checkWritable() async throws

    /// Fails when the store cannot take a delivery of `bytes`: one committed and removed again, with a
    /// body that size. A full disk can still take the small write of ``checkWritable()``.
    func checkWritable(deliveryOf bytes: Int) async throws
}

/// Store-wide queue figures for `/metrics`: the same on every replica sharing the store.
package protocol QueueFigures: Sendable {
    /// Counts of items by kind and state.
    func workCounts() async throws -> [WorkKind: [WorkState: Int]]

    /// Per kind, when the longest-waiting item not yet done or failed was queued; kinds with none are
    /// absent.
    func oldestUnfinishedWork() async throws -> [WorkKind: Date]
}

/// What `deliveries list`, `show` and `export` read. Reads only: no write lock, no migration.
package protocol DeliveryInspector: Sendable {
    /// The work of one delivery, in the order it was queued, with its attempts.
    func work(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord]

    /// The most recent deliveries, newest first, with their work.
    func recentDeliveries(limit: Int) async throws -> [DeliverySummary]

    /// Every stored delivery with this provider delivery id (of one provider, or of any).
    func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery]
}
