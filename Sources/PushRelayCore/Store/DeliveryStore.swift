import Foundation

/// Everything `serve` needs of a store, one contract per concern; each caller names only the one it uses.
///
/// Two backends implement all of them for `serve`: SQLite (one process, the default) and PostgreSQL (any
/// number of replicas on one database). A third, `InMemoryDeliveryStore`, writes the queue's rules in plain
/// Swift; all three pass the same behaviour suite (`StoreContractTests`), which holds the SQL to those rules.
package typealias DeliveryStore = DeliveryRecorder & WorkQueue & StoreHealth & QueueFigures & DeliveryInspector
    & DeliveryPruner & RefHeadStore & DocumentStore

/// Accepting deliveries: what the webhook handler and `deliveries redeliver` write.
///
/// Implementations must have committed a delivery and its work durably before ``record(_:)`` returns:
/// the webhook is answered `202` on the strength of it.
package protocol DeliveryRecorder: Sendable {
    /// Stores a verified delivery and the work it queues in one transaction, settled against the heads
    /// remembered for its refs (``DeliveryPlan/settled(remembered:)``, read and written in that
    /// transaction, so that two replicas never both queue one commit).
    /// - Returns: ``RecordResult/duplicate`` when this provider's delivery id is already stored, by this
    ///   process or any other sharing the store; nothing is written then.
    func record(_ plan: DeliveryPlan) async throws -> RecordResult

    /// Queues the work the delivery itself queued again, as new items (one per distinct kind and
    /// payload, follow-ups not included), on purpose; returns how many.
    func requeueWork(provider: ProviderKind, deliveryID: String) async throws -> Int
}

extension DeliveryRecorder {
    /// Stores a delivery that moves no head, and its work as given.
    package func record(_ delivery: DeliveryRecord, work: [NewWork]) async throws -> RecordResult {
        try await self.record(DeliveryPlan(record: delivery, work: work))
    }
}

package enum RecordResult: Sendable, Equatable {
    /// Stored with this id, as the plan was settled (what the answer says).
    case recorded(Int64, DeliveryPlan)
    case duplicate

    package var id: Int64? {
        if case .recorded(let id, _) = self { return id }
        return nil
    }
}

/// The head of each ref of each repository, from webhooks and polls (SPEC section 12): what missed-push
/// recovery compares a repository's refs with. Recording a delivery moves them (``DeliveryRecorder``).
package protocol RefHeadStore: Sendable {
    /// What is remembered of `repository` (its normalised identity).
    func heads(of repository: String) async throws -> RememberedHeads

    /// Takes a repository's first round: remembers each of `heads` (ref → commit) that no webhook has
    /// told of already, and marks the repository as having its baseline. Queues nothing.
    func baseline(_ repository: String, heads: [String: String]) async throws

    /// Moves a ref's head to `head` if it is still `expected` (`nil`: none remembered), as one step: an out
    /// of order push found newer takes the head only if nothing moved it meanwhile.
    /// - Returns: whether it moved.
    func moveHead(_ key: HeadKey, from expected: String?, to head: String) async throws -> Bool
}

/// A repository's remembered heads: ref → commit (``HeadMove/deleted`` for a ref whose deletion was seen).
package struct RememberedHeads: Sendable, Equatable {
    /// Whether its first round has been taken: until then, a poll only remembers.
    package var baselined: Bool
    package var heads: [String: String]

    package init(baselined: Bool, heads: [String: String]) {
        self.baselined = baselined
        self.heads = heads
    }
}

/// Retention: what the sweeper removes, a batch at a time, so that no one statement holds the store long.
package protocol DeliveryPruner: Sendable {
    /// Deletes up to `limit` deliveries received before `cutoff` whose work is all done or failed (or
    /// that have none), with their work and attempts, oldest first.
    /// - Returns: how many deliveries were deleted.
    func pruneDeliveries(receivedBefore cutoff: Date, limit: Int) async throws -> Int

    /// Deletes up to `limit` documents (``DocumentStore``) last written before `cutoff`: a pull request
    /// quiet for the retention period gets a new comment if it is planned again.
    /// - Returns: how many were deleted.
    func pruneDocuments(writtenBefore cutoff: Date, limit: Int) async throws -> Int
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
