import Foundation
import PushRelayCore

/// The store's contracts in plain Swift: deliveries, the work queue and its rules, written once and read
/// top to bottom. It is the reference the SQL stores are held to (`StoreContractTests` runs one suite on
/// all three) and the store of the tests that need no database.
///
/// It is never offered to `serve`: a process that loses its queue when it stops would lose pushes.
///
/// The queue's rules are in `InMemoryDeliveryStore+Queue.swift`; this file keeps the deliveries.
package actor InMemoryDeliveryStore: DeliveryStore {
    /// A stored delivery.
    struct Delivery {
        var id: Int64
        var record: DeliveryRecord
    }

    /// An item of work, with every field the SQL stores keep in their `work` row.
    struct Item {
        var id: Int64
        /// `nil` for work no delivery brought.
        var delivery: Int64?
        var parent: Int64?
        var kind: WorkKind
        var payload: [UInt8]
        var key: String?
        var once: Bool
        var group: String?
        /// Its result is its alone among the kind's items (``NewWork/uniqueResult``).
        var uniqueResult: Bool
        /// A keyed item queued again while it runs: its payload once the attempt ends.
        var nextPayload: [UInt8]?
        var state: WorkState
        var attempts: Int
        var queuedAt: Date
        var nextAttemptAt: Date
        var lastError: String?
        var result: String?
        var attemptStartedAt: Date?
        var uncertain: Bool
        var uncertainSince: Date?
        var owner: String?
        var leaseUntil: Date?
        var fence: Int64
        /// Set when a newer item of its group was queued while this one ran.
        var supersededAt: Date?
        var history: [AttemptRecord]
    }

    var deliveries: [Int64: Delivery] = [:]
    /// Provider and delivery id to the stored delivery: what makes a delivery a duplicate.
    var deliveryIDs: [[String]: Int64] = [:]
    var items: [Int64: Item] = [:]
    /// Each ref's remembered head, and the repositories whose first round was taken.
    var heads: [HeadKey: String] = [:]
    var baselines: Set<String> = []
    var documents: [DocumentKey: (text: String, version: Int, written: Date)] = [:]
    var lastID: Int64 = 0
    /// The store's clock: every time the queue reads or writes.
    let clock: WorkClock
    /// While set, deliveries, hastened items and the health checks fail with it: a store that is down, for
    /// the tests of what `serve` answers then.
    private var refusal: (any Error)?

    package init(clock: WorkClock = .system) {
        self.clock = clock
    }

    func now() -> Date { self.clock.now }

    /// Makes every delivery write, hastened item and health check fail with `error` from now on; `nil`
    /// takes them again.
    package func refuseWrites(with error: (any Error)?) {
        self.refusal = error
    }

    func refuseIfDown() throws {
        if let refusal { throw refusal }
    }

    func nextID() -> Int64 {
        self.lastID += 1
        return self.lastID
    }

    package func record(_ plan: DeliveryPlan) async throws -> RecordResult {
        try self.refuseIfDown()
        let key = [plan.record.provider.rawValue, plan.record.deliveryID]
        guard self.deliveryIDs[key] == nil else { return .duplicate }
        let remembered = plan.headKeys.reduce(into: [HeadKey: String]()) { $0[$1] = self.heads[$1] }
        let (settled, moved) = plan.settled(remembered: remembered)
        self.heads.merge(moved) { $1 }
        let id = self.nextID()
        self.deliveries[id] = Delivery(id: id, record: settled.record)
        self.deliveryIDs[key] = id
        self.queue(settled.work, delivery: id, parent: nil, at: settled.record.receivedAt)
        return .recorded(id, settled)
    }

    package func heads(of repository: String) async throws -> RememberedHeads {
        var heads: [String: String] = [:]
        for (key, head) in self.heads where key.repository == repository { heads[key.ref] = head }
        return RememberedHeads(baselined: self.baselines.contains(repository), heads: heads)
    }

    package func moveHead(_ key: HeadKey, from expected: String?, to head: String) async throws -> Bool {
        guard self.heads[key] == expected else { return false }
        self.heads[key] = head
        return true
    }

    package func baseline(_ repository: String, heads: [String: String]) async throws {
        for (ref, head) in heads {
            let key = HeadKey(repository: repository, ref: ref)
            if self.heads[key] == nil { self.heads[key] = head }
        }
        self.baselines.insert(repository)
    }

    package func document(_ key: DocumentKey) async throws -> (text: String, version: Int)? {
        self.documents[key].map { ($0.text, $0.version) }
    }

    package func writeDocument(_ key: DocumentKey, _ text: String, replacing version: Int?) async throws -> Bool {
        guard self.documents[key]?.version == version else { return false }
        self.documents[key] = (text, (version ?? 0) + 1, self.clock.now)
        return true
    }

    package func requeueWork(provider: ProviderKind, deliveryID: String) async throws -> Int {
        guard let delivery = self.deliveryIDs[[provider.rawValue, deliveryID]] else { return 0 }
        // One fresh item per distinct kind and payload of what the delivery itself queued. Keyed items are
        // not copied, there is one of each; but an item queued once is, without its key: asked for on
        // purpose, a plan runs again.
        var seen: [(WorkKind, [UInt8])] = []
        var copies: [NewWork] = []
        for item in self.items(of: delivery) where item.parent == nil {
            guard !seen.contains(where: { $0 == (item.kind, item.payload) }) else { continue }
            seen.append((item.kind, item.payload))
            if item.key == nil || item.once {
                copies.append(NewWork(kind: item.kind, payload: item.payload, uniqueResult: item.uniqueResult))
            }
        }
        self.queue(copies, delivery: delivery, parent: nil, at: self.now())
        return copies.count
    }

    /// A delivery's items, in the order they were queued.
    func items(of delivery: Int64) -> [Item] {
        self.items.values.filter { $0.delivery == delivery }.sorted { $0.id < $1.id }
    }

    // MARK: Inspection

    package func work(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord] {
        guard let delivery = self.deliveryIDs[[provider.rawValue, deliveryID]] else { return [] }
        return self.items(of: delivery).map(Self.record)
    }

    package func recentDeliveries(limit: Int) async throws -> [DeliverySummary] {
        let newest = self.deliveries.values.sorted {
            ($0.record.receivedAt, $0.id) > ($1.record.receivedAt, $1.id)
        }
        return newest.prefix(limit).map(self.summary)
    }

    package func deliveries(withID deliveryID: String, provider: ProviderKind?) async throws -> [StoredDelivery] {
        self.deliveries.values
            .filter { $0.record.deliveryID == deliveryID && (provider == nil || $0.record.provider == provider) }
            .sorted { $0.id < $1.id }
            .map { StoredDelivery(summary: self.summary($0), headers: $0.record.headers, body: $0.record.body) }
    }

    private func summary(_ delivery: Delivery) -> DeliverySummary {
        let record = delivery.record
        return DeliverySummary(
            provider: record.provider,
            deliveryID: record.deliveryID,
            event: record.event,
            receivedAt: record.receivedAt,
            repository: record.repository,
            ref: record.ref,
            decision: record.decision.rawValue,
            reason: record.reason,
            signature: record.signature.description,
            work: self.items(of: delivery.id).map(Self.record)
        )
    }

    private static func record(_ item: Item) -> WorkRecord {
        WorkRecord(
            id: item.id,
            parent: item.parent,
            kind: item.kind,
            payload: item.payload,
            state: item.state,
            attempts: item.attempts,
            lastError: item.lastError,
            result: item.result,
            history: item.history
        )
    }

    package func workCounts() async throws -> [WorkKind: [WorkState: Int]] {
        var counts: [WorkKind: [WorkState: Int]] = [:]
        for item in self.items.values { counts[item.kind, default: [:]][item.state, default: 0] += 1 }
        return counts
    }

    package func oldestUnfinishedWork() async throws -> [WorkKind: Date] {
        var oldest: [WorkKind: Date] = [:]
        for item in self.items.values where !item.state.isFinished {
            oldest[item.kind] = min(oldest[item.kind] ?? item.queuedAt, item.queuedAt)
        }
        return oldest
    }

    // MARK: Retention and health

    package func pruneDeliveries(receivedBefore cutoff: Date, limit: Int) async throws -> Int {
        // Oldest first; a delivery with work still to do is kept.
        let pruned = self.deliveries.values
            .filter { delivery in
                delivery.record.receivedAt < cutoff
                    && !self.items.values.contains { $0.delivery == delivery.id && !$0.state.isFinished }
            }
            .sorted { ($0.record.receivedAt, $0.id) < ($1.record.receivedAt, $1.id) }
            .prefix(limit)
        for delivery in pruned {
            self.deliveries[delivery.id] = nil
            self.deliveryIDs[[delivery.record.provider.rawValue, delivery.record.deliveryID]] = nil
            self.items = self.items.filter { $0.value.delivery != delivery.id }
        }
        return pruned.count
    }

    package func pruneDocuments(writtenBefore cutoff: Date, limit: Int) async throws -> Int {
        let old = self.documents.filter { $0.value.written < cutoff }.map(\.key).prefix(limit)
        for key in old { self.documents[key] = nil }
        return old.count
    }

    package func checkWritable() async throws {
        try self.refuseIfDown()
    }

    package func checkWritable(deliveryOf bytes: Int) async throws {
        try self.refuseIfDown()
    }
}
