import SQLiteNIO
import Synchronization

/// Runs store operations one transaction at a time on a single connection, and commits every operation
/// that arrived while the previous transaction was running together: group commit.
///
/// One `fsync` then covers many webhooks, which is what lets the accept path stay durable (a commit
/// before every `202`) at thousands of deliveries a second. No background task is needed: the first
/// caller to find the batcher idle leads, draining batches until the queue is empty; the others wait
/// on their tickets. Each operation runs inside its own savepoint, so one that fails is rolled back
/// alone and its caller alone gets the error.
actor WriteBatcher {
    typealias Operation = @Sendable (SQLiteConnection) async throws -> any Sendable

    private struct Work: Sendable {
        let operation: Operation
        let ticket: Ticket
    }

    private let connection: SQLiteConnection
    private var queue: [Work] = []
    private var draining = false
    /// Largest number of operations in one transaction, to bound the latency of the first of them.
    private let maxBatch: Int

    init(connection: SQLiteConnection, maxBatch: Int = 256) {
        self.connection = connection
        self.maxBatch = maxBatch
    }

    func perform<T: Sendable>(_ operation: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let ticket = Ticket()
        self.queue.append(Work(operation: { try await operation($0) }, ticket: ticket))
        if !self.draining {
            self.draining = true
            while !self.queue.isEmpty {
                let batch = Array(self.queue.prefix(self.maxBatch))
                self.queue.removeFirst(batch.count)
                await self.run(batch)
            }
            self.draining = false
        }
        // The cast cannot fail: this ticket was filled by this call's own operation.
        return try await ticket.value() as! T
    }

    private func run(_ batch: [Work]) async {
        let connection = self.connection
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
        } catch {
            for work in batch { work.ticket.fill(.failure(error)) }
            return
        }
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        for work in batch {
            do {
                _ = try await connection.query("SAVEPOINT operation")
                let value = try await work.operation(connection)
                _ = try await connection.query("RELEASE operation")
                results.append(.success(value))
            } catch {
                _ = try? await connection.query("ROLLBACK TO operation")
                _ = try? await connection.query("RELEASE operation")
                results.append(.failure(error))
            }
        }
        do {
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            for work in batch { work.ticket.fill(.failure(error)) }
            return
        }
        for (work, result) in zip(batch, results) { work.ticket.fill(result) }
    }
}

/// A one-shot result slot that a waiter may reach before or after it is filled.
private final class Ticket: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<any Sendable, any Error>)
        case filled(Result<any Sendable, any Error>)
    }

    private let state = Mutex<State>(.empty)

    func fill(_ result: Result<any Sendable, any Error>) {
        let waiter: CheckedContinuation<any Sendable, any Error>? = self.state.withLock { state in
            switch state {
            case .waiting(let continuation):
                state = .filled(result)
                return continuation
            case .empty, .filled:
                state = .filled(result)
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> any Sendable {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<any Sendable, any Error>? = self.state.withLock { state in
                if case .filled(let result) = state { return result }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
