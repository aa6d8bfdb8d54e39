import Foundation
import PushRelayCore

/// The queue's rules (``WorkQueue``, ``NewWork``, ``WorkTransition``), one function each. The SQLite and
/// PostgreSQL stores write the same rules in SQL; the contract suite holds all three to the same answers.
extension InMemoryDeliveryStore {
    /// Queues items in order. A keyed item already stored takes the new payload instead of adding another
    /// (while it runs, once its attempt ends), unless the new one is queued once; a grouped item supersedes
    /// its group's older unfinished items.
    func queue(_ work: [NewWork], delivery: Int64?, parent: Int64?, at: Date) {
        for new in work {
            let id: Int64
            if let key = new.key,
                let existing = self.items.values.first(where: { $0.kind == new.kind && $0.key == key })
            {
                // Queued once: already there, nothing changes.
                if new.once { continue }
                id = existing.id
                self.items[id]?.requeue(new, at: at)
            } else {
                id = self.nextID()
                self.items[id] = Item(
                    id: id,
                    delivery: delivery,
                    parent: parent,
                    kind: new.kind,
                    payload: new.payload,
                    key: new.key,
                    once: new.once,
                    group: new.group,
                    uniqueResult: new.uniqueResult,
                    state: .pending,
                    attempts: 0,
                    queuedAt: at,
                    nextAttemptAt: at + new.after.seconds,
                    uncertain: false,
                    fence: 0,
                    history: []
                )
            }
            // The group is the stored item's: a keyed item queued again keeps the one it was queued with.
            if let group = self.items[id]?.group { self.supersede(kind: new.kind, group: group, before: id, at: at) }
        }
    }

    /// A newer item of the group drops the older unfinished ones: a pending one at once, a running one when
    /// its attempt ends without success (the mark is read by ``finish(_:outcome:)``, ``release(_:)`` and
    /// ``rescueExpiredLeases()``).
    private func supersede(kind: WorkKind, group: String, before id: Int64, at: Date) {
        for older in self.items.values
        where older.kind == kind && older.group == group && older.id < id && !older.state.isFinished
            && older.supersededAt == nil
        {
            if older.state == .pending { self.items[older.id]?.state = .superseded }
            self.items[older.id]?.supersededAt = at
        }
    }

    package func claim(owner: String, kinds: [WorkKind], limit: Int, lease: Duration) async throws -> [ClaimedWork] {
        let now = self.now()
        // The longest-due first; among items due at once, the first queued.
        let due = self.items.values
            .filter { $0.state == .pending && kinds.contains($0.kind) && $0.nextAttemptAt <= now }
            .sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
            .prefix(max(limit, 0))
        return due.map { item in
            var claimed = item
            claimed.state = .running
            claimed.attempts += 1
            claimed.attemptStartedAt = now
            claimed.owner = owner
            claimed.leaseUntil = now + lease.seconds
            claimed.fence += 1
            self.items[item.id] = claimed
            return self.claimed(claimed)
        }
    }

    private func claimed(_ item: Item) -> ClaimedWork {
        let delivery = item.delivery.flatMap { self.deliveries[$0]?.record }
        return ClaimedWork(
            id: item.id,
            fence: item.fence,
            kind: item.kind,
            payload: item.payload,
            attempts: item.attempts - 1,  // the attempts made before this claim
            provider: delivery?.provider,
            deliveryID: delivery?.deliveryID ?? "",
            queuedAt: item.queuedAt,
            uncertain: item.uncertain,
            uncertainSince: item.uncertainSince,
            result: item.result
        )
    }

    package func finish(_ work: ClaimedWork, outcome: WorkOutcome) async throws -> Bool {
        // Taken only while the claim holds: a stale owner's word changes nothing.
        guard var item = self.items[work.id], item.fence == work.fence, item.state == .running else { return false }
        let change = WorkTransition(outcome)
        let now = self.now()
        if item.uniqueResult, let result = change.result,
            self.items.values.contains(where: {
                $0.uniqueResult && $0.kind == item.kind && $0.result == result && $0.id != item.id
            })
        {
            throw WorkResultTaken(kind: item.kind, result: result)
        }
        if change.recordsAttempt {
            item.history.append(
                AttemptRecord(at: now, outcome: change.outcome, status: change.status, detail: change.detail)
            )
        } else {
            item.attempts -= 1  // a reschedule is not an attempt
        }
        item.result = change.result ?? item.result
        if change.uncertain == true { item.uncertainSince = item.uncertainSince ?? item.attemptStartedAt }
        if let next = item.nextPayload {
            // Queued again while it ran: the new payload, due at once, counted afresh, whatever the outcome.
            item.state = .pending
            item.payload = next
            item.nextPayload = nil
            item.lastError = nil
            item.nextAttemptAt = now
            item.uncertain = false
            item.attempts = 0
        } else {
            item.state = item.supersededAt != nil && change.state != .done ? .superseded : change.state
            item.payload = change.payload ?? item.payload
            item.lastError = change.lastError
            if let after = change.retryAfter { item.nextAttemptAt = now + after.seconds }
            item.uncertain = change.uncertain ?? item.uncertain
        }
        item.owner = nil
        item.leaseUntil = nil
        self.items[item.id] = item
        // The follow-ups, children of this item, in the same step: none is lost between the two.
        self.queue(change.next, delivery: item.delivery, parent: item.id, at: now)
        return true
    }

    package func renewLeases(owner: String, lease: Duration) async throws -> Int {
        let until = self.now() + lease.seconds
        let mine = self.items.values.filter { $0.owner == owner && $0.state == .running }
        for item in mine { self.items[item.id]?.leaseUntil = until }
        return mine.count
    }

    package func release(_ work: [ClaimedWork]) async throws {
        // As if never claimed: the attempt is not counted, and a superseded item goes.
        for claim in work {
            guard var item = self.items[claim.id], item.fence == claim.fence, item.state == .running else { continue }
            item.state = item.supersededAt == nil ? .pending : .superseded
            item.attempts -= 1
            item.takeNextPayload()
            self.items[item.id] = item
        }
    }

    package func rescueExpiredLeases() async throws -> Int {
        let now = self.now()
        let change = WorkTransition.leaseExpired
        let expired = self.items.values.filter { $0.state == .running && ($0.leaseUntil ?? now) < now }
        for var item in expired {
            // The attempt may have had its effect: due at once, and its next attempt looks first.
            item.history.append(AttemptRecord(at: now, outcome: change.outcome, status: nil, detail: change.detail))
            item.state = item.supersededAt == nil ? .pending : .superseded
            item.nextAttemptAt = now
            item.lastError = change.lastError
            item.uncertain = true
            item.uncertainSince = item.uncertainSince ?? item.attemptStartedAt
            item.takeNextPayload()
            self.items[item.id] = item
        }
        return expired.count
    }

    package func recordedResults(of kind: WorkKind, among results: [String]) async throws -> Set<String> {
        Set(self.items.values.filter { $0.kind == kind }.compactMap(\.result)).intersection(results)
    }

    package func enqueue(_ work: [NewWork]) async throws {
        self.queue(work, delivery: nil, parent: nil, at: self.now())
    }

    package func hasten(kind: WorkKind, key: String) async throws -> Bool {
        try self.refuseIfDown()
        let now = self.now()
        let found = self.items.values.filter { $0.kind == kind && $0.key == key && !$0.state.isFinished }
        for item in found { self.items[item.id]?.nextAttemptAt = min(item.nextAttemptAt, now) }
        return !found.isEmpty
    }
}

extension InMemoryDeliveryStore.Item {
    /// A keyed item queued again: pending, done or failed, it takes the new payload and is due as the new
    /// work says, its attempts counted afresh; running, it takes it once its attempt ends.
    mutating func requeue(_ new: NewWork, at: Date) {
        guard self.state != .running else {
            self.nextPayload = new.payload
            return
        }
        self.payload = new.payload
        self.nextPayload = nil
        self.nextAttemptAt = at + new.after.seconds
        self.attempts = 0
        self.lastError = nil
        self.uncertain = false
        self.state = .pending
    }

    /// Leaving `running` by any way but a finish: the payload queued while it ran, if any, is what it does
    /// next.
    mutating func takeNextPayload() {
        self.owner = nil
        self.leaseUntil = nil
        self.payload = self.nextPayload ?? self.payload
        self.nextPayload = nil
    }
}

/// A result already recorded by another item of the kind: results are unique per kind.
package struct WorkResultTaken: Error, CustomStringConvertible {
    package var kind: WorkKind
    package var result: String

    package var description: String { "another item of kind \(self.kind) already recorded result \(self.result)" }
}
