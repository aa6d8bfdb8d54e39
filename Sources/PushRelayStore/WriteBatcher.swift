import PushRelayCore
import SQLiteNIO
import Synchronization

/// Runs store work one transaction at a time on a single connection, committing everything that arrived
/// while the previous transaction ran in one go: group commit.
///
/// One `fsync` then covers many webhooks, which is what lets the accept path stay durable (a commit
/// before every `202`) at thousands of deliveries a second. Every statement costs a hop to SQLite's thread
/// and back, and on a busy machine each hop waits for a core: a batch of deliveries alone is therefore one
/// statement (`bulkRecord`), committed by SQLite itself without BEGIN and COMMIT. The first caller to find
/// the batcher idle starts a task that drains batches until the queue is empty; every caller, that one
/// included, waits on its own ticket only. Other operations run each inside its own savepoint (or, for one
/// statement, SQLite's own statement rollback), so one that fails is rolled back alone and its caller
/// alone gets the error.
actor WriteBatcher {
    typealias Operation = @Sendable (SQLiteConnection) async throws -> any Sendable
    /// Writes many deliveries at once; returns one result per row, in order.
    typealias BulkRecord = @Sendable ([DeliveryRow], SQLiteConnection) async throws -> [RecordResult]

    private enum Work: Sendable {
        case record(DeliveryRow, Ticket)
        /// `singleStatement`: atomic by itself, so it needs no savepoint (two hops fewer).
        case operation(Operation, singleStatement: Bool, Ticket)

        var ticket: Ticket {
            switch self {
            case .record(_, let ticket), .operation(_, _, let ticket): ticket
            }
        }
    }

    private let connection: SQLiteConnection
    private let bulkRecord: BulkRecord
    private var queue: [Work] = []
    private var draining = false
    /// Largest number of items in one transaction, to bound the latency of the first of them.
    private let maxBatch: Int

    /// - Parameter bulkRecord: writes up to `maxBatch` deliveries with one statement.
    init(connection: SQLiteConnection, maxBatch: Int, bulkRecord: @escaping BulkRecord) {
        self.connection = connection
        self.maxBatch = maxBatch
        self.bulkRecord = bulkRecord
    }

    /// Queues a delivery for the next group commit. The row comes ready to bind: built by the caller, so
    /// that the batcher, which every delivery waits on, only runs SQL.
    func record(_ row: DeliveryRow) async throws -> RecordResult {
        let ticket = Ticket()
        self.queue.append(.record(row, ticket))
        self.startDrainingIfIdle()
        // The cast cannot fail: the bulk writer returns one `RecordResult` per plan.
        return try await ticket.value() as! RecordResult
    }

    /// - Parameter singleStatement: the operation runs one SQL statement, which SQLite applies or rolls
    ///   back whole, so it needs no savepoint of its own.
    func perform<T: Sendable>(
        singleStatement: Bool = false,
        _ operation: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let ticket = Ticket()
        self.queue.append(.operation({ try await operation($0) }, singleStatement: singleStatement, ticket))
        self.startDrainingIfIdle()
        // The cast cannot fail: this ticket was filled by this call's own operation.
        return try await ticket.value() as! T
    }

    private func startDrainingIfIdle() {
        guard !self.draining else { return }
        self.draining = true
        // A task of its own, not the caller's: under steady load the queue is never empty, and a caller
        // that drained it would wait for everyone's batches after its own (seconds, seen as p99.9).
        Task { await self.drain() }
    }

    private func drain() async {
        while !self.queue.isEmpty {
            let batch = Array(self.queue.prefix(self.maxBatch))
            self.queue.removeFirst(batch.count)
            await self.run(batch)
        }
        self.draining = false
    }

    private func run(_ batch: [Work]) async {
        let connection = self.connection
        let rows = batch.compactMap { work -> DeliveryRow? in
            if case .record(let row, _) = work { return row }
            return nil
        }
        // Deliveries alone: one statement, its own transaction.
        if rows.count == batch.count {
            do {
                let written = try await self.bulkRecord(rows, connection)
                for (work, result) in zip(batch, written) { work.ticket.fill(.success(result)) }
            } catch {
                for work in batch { work.ticket.fill(.failure(error)) }
            }
            return
        }
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
        } catch {
            for work in batch { work.ticket.fill(.failure(error)) }
            return
        }
        var results: [Result<any Sendable, any Error>] = Array(
            repeating: .failure(CancellationError()),
            count: batch.count
        )
        let records = batch.enumerated().compactMap { index, work -> (Int, DeliveryRow)? in
            if case .record(let row, _) = work { return (index, row) }
            return nil
        }
        if !records.isEmpty {
            do {
                _ = try await connection.query("SAVEPOINT records")
                let written = try await self.bulkRecord(records.map(\.1), connection)
                _ = try await connection.query("RELEASE records")
                for ((index, _), value) in zip(records, written) { results[index] = .success(value) }
            } catch {
                _ = try? await connection.query("ROLLBACK TO records")
                _ = try? await connection.query("RELEASE records")
                for (index, _) in records { results[index] = .failure(error) }
            }
        }
        for (index, work) in batch.enumerated() {
            guard case .operation(let operation, let singleStatement, _) = work else { continue }
            do {
                if !singleStatement { _ = try await connection.query("SAVEPOINT operation") }
                let value = try await operation(connection)
                if !singleStatement { _ = try await connection.query("RELEASE operation") }
                results[index] = .success(value)
            } catch {
                if !singleStatement {
                    _ = try? await connection.query("ROLLBACK TO operation")
                    _ = try? await connection.query("RELEASE operation")
                }
                results[index] = .failure(error)
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
