import Synchronization

/// Writes items that arrive together with one statement: while up to `maxInFlight` writes are running,
/// new items wait and the next free writer takes them all (up to `maxBatch`) at once.
///
/// Alone, an item is written at once, as if there were no grouping; under load, one round trip and one
/// commit cover many. Every item of a group shares its outcome: if the statement fails, each caller gets
/// the error.
final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    /// Writes the items with one statement; returns one output per item, in order.
    typealias Write = @Sendable ([Item]) async throws -> [Output]

    private struct State {
        var queue: [(item: Item, ticket: Ticket<Output>)] = []
        var writers = 0
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let maxInFlight: Int
    private let write: Write

    init(maxBatch: Int, maxInFlight: Int, write: @escaping Write) {
        precondition(maxBatch > 0 && maxInFlight > 0)
        self.maxBatch = maxBatch
        self.maxInFlight = maxInFlight
        self.write = write
    }

    func submit(_ item: Item) async throws -> Output {
        let ticket = Ticket<Output>()
        let start = self.state.withLock { state in
            state.queue.append((item, ticket))
            guard state.writers < self.maxInFlight else { return false }
            state.writers += 1
            return true
        }
        // A task of its own rather than the caller's: a caller that drained the queue would wait for every
        // group after its own.
        if start { Task { await self.drain() } }
        return try await ticket.value()
    }

    private func nextGroup() -> [(item: Item, ticket: Ticket<Output>)]? {
        self.state.withLock { state in
            guard !state.queue.isEmpty else {
                state.writers -= 1
                return nil
            }
            let group = Array(state.queue.prefix(self.maxBatch))
            state.queue.removeFirst(group.count)
            return group
        }
    }

    private func drain() async {
        while let group = self.nextGroup() {
            do {
                let outputs = try await self.write(group.map(\.item))
                precondition(outputs.count == group.count, "one output per item")
                for (entry, output) in zip(group, outputs) { entry.ticket.fill(.success(output)) }
            } catch {
                for entry in group { entry.ticket.fill(.failure(error)) }
            }
        }
    }
}
