import Foundation
import Logging
import PushRelayCore
import ServiceLifecycle
import Synchronization

/// Runs the work the store holds, up to `concurrency` attempts at a time, each by the handler of its kind.
/// It runs until graceful shutdown; attempts already in flight then finish and their outcome is recorded
/// before `run` returns.
///
/// It knows nothing of what a kind does: it claims due items of its handlers' kinds as `owner`, with a
/// lease that ``QueueUpkeep`` renews and only as many as there are free slots (so a claim is started at
/// once), runs each, and records the outcome with the work it queues. A process runs one dispatcher per
/// group of kinds that must not wait behind each other (creating Terrakube jobs never waits for status
/// posts).
package struct WorkDispatcher<Store: WorkQueue>: Service {
    package let store: Store
    package let handlers: [WorkKind: any WorkHandler]
    package let wake: DispatchWakeUp
    package let logger: Logger
    /// This process's name in the queue's claims.
    package let owner: String
    /// How long a claim is this process's alone unless renewed.
    package var lease: Duration = .seconds(30)
    package var concurrency: Int
    /// How long to sleep when nothing is due and nothing wakes us (retries coming due are found then).
    package var idleDelay: Duration = .milliseconds(500)
    package var metrics: RelayMetrics?

    package init(
        store: Store,
        handlers: [any WorkHandler],
        wake: DispatchWakeUp,
        logger: Logger,
        owner: String,
        concurrency: Int = 4
    ) {
        self.store = store
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.wake = wake
        self.logger = logger
        self.owner = owner
        self.concurrency = concurrency
    }

    package func run() async throws {
        let inFlight = InFlightCount()
        let kinds = self.handlers.keys.sorted { $0.rawValue < $1.rawValue }
        // A discarding group reaps finished attempts by itself; leaving it waits for those still in flight.
        await withDiscardingTaskGroup { group in
            // Cancelled too (the group stops because another service failed, say the listener could not
            // bind): the store then answers CancellationError and the pause returns at once.
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = self.concurrency - inFlight.value
                if free > 0, let claimed = await self.claim(kinds, limit: free), !claimed.isEmpty {
                    inFlight.add(claimed.count)
                    // A claim's age is read on the monotonic clock: a step of the wall clock must not hand
                    // back claims. What is due is the store's clock, which tests set.
                    let at = ContinuousClock.now
                    for batch in self.batches(claimed) {
                        group.addTask {
                            await self.process(batch, claimed: at)
                            inFlight.add(-batch.count)
                            self.wake.signal()  // slots are free
                        }
                    }
                    continue
                }
                await self.pause()
            }
        }
    }

    /// Due items, or `nil` when the store failed (logged; the loop pauses and tries again).
    private func claim(_ kinds: [WorkKind], limit: Int) async -> [ClaimedWork]? {
        do {
            return try await self.store.claim(owner: self.owner, kinds: kinds, limit: limit, lease: self.lease)
        } catch {
            self.logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
            return nil
        }
    }

    private func pause() async {
        let wake = self.wake
        let delay = self.idleDelay
        // Returns early on graceful shutdown.
        await cancelWhenGracefulShutdown { await wake.wait(upTo: delay) }
    }

    /// The claimed items as their handlers take them: alone, or in batches of the kind's size.
    private func batches(_ claimed: [ClaimedWork]) -> [[ClaimedWork]] {
        var batches: [[ClaimedWork]] = []
        var open: [WorkKind: Int] = [:]
        for work in claimed {
            let size = self.handlers[work.kind]?.batchSize ?? 1
            if size > 1, let index = open[work.kind], batches[index].count < size {
                batches[index].append(work)
            } else {
                batches.append([work])
                if size > 1 { open[work.kind] = batches.count - 1 }
            }
        }
        return batches
    }

    private func process(_ batch: [ClaimedWork], claimed: ContinuousClock.Instant) async {
        guard let kind = batch.first?.kind else { return }
        var logger = self.logger
        logger[metadataKey: "relay.work.kind"] = "\(kind)"
        // A claim this old may have been taken over (this process froze, or its renewals failed): hand it
        // back rather than do what another process may be doing.
        if ContinuousClock.now - claimed > self.lease / 2 {
            try? await self.store.release(batch)
            return
        }
        guard let handler = self.handlers[kind] else {
            // Claimed only by kind, so this cannot happen; if it does, say so rather than loop on it.
            let failed = WorkOutcome.failed(status: nil, error: "no handler for work of kind \(kind)")
            await self.finish(batch.map { ($0, failed, Self.commonLog) }, logger: logger)
            return
        }
        await self.run(handler, batch, logger: logger)
    }

    /// Reads each item's payload once, runs the readable ones (alone, or as one batch), and records every
    /// outcome: an unreadable payload fails with the reason.
    private func run<Handler: WorkHandler>(_ handler: Handler, _ batch: [ClaimedWork], logger: Logger) async {
        var readable: [(work: ClaimedWork, payload: Handler.Payload)] = []
        // Each ends logged in its kind's words, with its payload; an unreadable one in the common words.
        var ended: [Ended] = []
        for work in batch {
            do {
                readable.append((work, try handler.type.payload(work.payload)))
            } catch {
                let reason = "the payload of this \(work.kind) item cannot be read: \(error)"
                ended.append((work, .failed(status: nil, error: reason), Self.commonLog))
            }
        }
        let outcomes: [WorkOutcome]
        switch readable.count {
        case 0: outcomes = []
        case 1:
            outcomes = [
                await handler.perform(
                    readable[0].work,
                    readable[0].payload,
                    logger: Self.logger(logger, for: readable[0].work)
                )
            ]
        default: outcomes = await handler.perform(batch: readable, logger: logger)
        }
        for ((work, payload), outcome) in zip(readable, outcomes) {
            ended.append(
                (work, outcome, { handler.log($0, of: work, payload, attempt: $1, logger: $2) })
            )
        }
        await self.finish(ended, logger: logger)
    }

    /// An attempt's end: its item, its outcome, and how to log it once recorded.
    private typealias Ended = (
        work: ClaimedWork, outcome: WorkOutcome, log: @Sendable (WorkOutcome, Int, Logger) -> Void
    )

    /// The words any kind's outcome is logged with when no handler's apply.
    private static var commonLog: @Sendable (WorkOutcome, Int, Logger) -> Void {
        { outcome, attempt, logger in outcome.log(attempt: attempt, logger: logger) }
    }

    /// Records the outcomes together: the store writes them in one commit where it groups writes, and items
    /// rescheduled to the same instant stay due at the same instant (to be read together again). Each is
    /// logged once recorded.
    private func finish(_ ended: [Ended], logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for (work, outcome, log) in ended {
                group.addTask {
                    let logger = Self.logger(logger, for: work)
                    if await self.finish(work, outcome: outcome, logger: logger) {
                        log(outcome, work.attempts + 1, logger)
                    }
                }
            }
        }
    }

    private static func logger(_ logger: Logger, for work: ClaimedWork) -> Logger {
        var logger = logger
        logger[metadataKey: "relay.work.id"] = "\(work.id)"
        logger[metadataKey: "relay.delivery.id"] = "\(work.deliveryID)"
        return logger
    }

    /// Records one outcome; whether it was taken (counted then; a stale claim's is dropped, with a warning).
    private func finish(_ work: ClaimedWork, outcome: WorkOutcome, logger: Logger) async -> Bool {
        let attempt = work.attempts + 1
        guard let recorded = await self.record(outcome, of: work, logger: logger) else { return false }
        guard recorded else {
            logger.warning(
                "Work taken over by another process after this one's lease ran out; this attempt's outcome is dropped",
                metadata: ["relay.attempt": "\(attempt)", "relay.outcome": "\(outcome.name)"]
            )
            return false
        }
        self.metrics?.workAttempt(kind: work.kind, result: outcome.name)
        return true
    }

    /// Records the outcome, trying again while the store is unavailable: the outcome is known, and an item
    /// left running would keep its lease for as long as this process renews it.
    /// - Returns: whether the claim still held; `nil` when shutdown came first (the lease then runs out
    ///   and the item's next attempt is uncertain).
    private func record(_ outcome: WorkOutcome, of work: ClaimedWork, logger: Logger) async -> Bool? {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await self.store.finish(work, outcome: outcome)
            } catch {
                logger.error("Store unavailable to the dispatcher", metadata: ["relay.error": "\(error)"])
            }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return nil }
            try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
            delay = min(delay * 2, .seconds(5))
        }
    }
}

/// Attempts in flight, shared between the claiming loop and the attempts themselves.
private final class InFlightCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { self.count.load(ordering: .acquiring) }

    func add(_ delta: Int) {
        self.count.add(delta, ordering: .acquiringAndReleasing)
    }
}
