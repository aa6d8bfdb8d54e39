import PushRelayCore
import SQLiteNIO
import Synchronization

/// Runs store work on a single connection, committing everything that arrived while the previous batch
/// ran in one go: group commit.
///
/// One `fsync` then covers many webhooks, which is what lets the accept path stay durable (a commit
/// before every `202`) at thousands of deliveries a second. Every statement costs a hop to SQLite's thread
/// and back, and on a busy machine each hop waits for a core, so a batch runs as few statements as it can:
/// - the deliveries in it are one statement (`bulkRecord`), committed by SQLite itself without BEGIN and
///   COMMIT, and their callers are answered as soon as it commits;
/// - then the other operations: one alone is its own transaction (a single statement needs no BEGIN
///   either); several share one, each inside its own savepoint (or, for a single statement, SQLite's own
///   statement rollback), so one that fails is rolled back alone and its caller alone gets the error.
///
/// The first caller to find the batcher idle starts a task that drains batches until the queue is empty;
/// every caller, that one included, waits on its own ticket only.
actor WriteBatcher {
    typealias Operation = @Sendable (SQLiteConnection) async throws -> any Sendable
    /// Writes many deliveries at once; returns one result per row, in order.
    typealias BulkRecord = @Sendable ([DeliveryRow], SQLiteConnection) async throws -> [RecordResult]

    private enum Work: Sendable {
        case record(DeliveryRow, Ticket)
        case operation(PendingOperation)
    }

    private struct PendingOperation {
        var run: Operation
        /// Atomic by itself, so it needs no savepoint or transaction of its own.
        var singleStatement: Bool
        var ticket: Ticket
    }

    private let connection: SQLiteConnection
    private let bulkRecord: BulkRecord
    private var queue: [Work] = []
    private var draining = false
    /// Largest number of items in one batch, to bound the latency of the first of them.
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
        // The cast cannot fail: the bulk writer returns one `RecordResult` per row.
        return try await ticket.value() as! RecordResult
    }

    /// - Parameter singleStatement: the operation runs one SQL statement, which SQLite applies or rolls
    ///   back whole, so it needs no savepoint of its own.
    func perform<T: Sendable>(
        singleStatement: Bool = false,
        _ operation: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let ticket = Ticket()
        let pending = PendingOperation(
            run: { try await operation($0) },
            singleStatement: singleStatement,
            ticket: ticket
        )
        self.queue.append(.operation(pending))
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
            let batch = self.queue.prefix(self.maxBatch)
            self.queue.removeFirst(batch.count)
            var records: [(row: DeliveryRow, ticket: Ticket)] = []
            var operations: [PendingOperation] = []
            for work in batch {
                switch work {
                case .record(let row, let ticket): records.append((row, ticket))
                case .operation(let operation): operations.append(operation)
                }
            }
            if !records.isEmpty { await self.write(records) }
            if !operations.isEmpty { await self.run(operations) }
        }
        self.draining = false
    }

    /// One statement, its own transaction.
    private func write(_ records: [(row: DeliveryRow, ticket: Ticket)]) async {
        do {
            let written = try await self.bulkRecord(records.map(\.row), self.connection)
            for (record, result) in zip(records, written) { record.ticket.fill(.success(result)) }
        } catch {
            for record in records { record.ticket.fill(.failure(error)) }
        }
    }

    private func run(_ operations: [PendingOperation]) async {
        let connection = self.connection
        if operations.count == 1, operations[0].singleStatement {
            do {
                operations[0].ticket.fill(.success(try await operations[0].run(connection)))
            } catch {
                operations[0].ticket.fill(.failure(error))
            }
            return
        }
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
        } catch {
            for operation in operations { operation.ticket.fill(.failure(error)) }
            return
        }
        // An operation alone needs no savepoint: if it fails, the whole transaction is rolled back.
        let alone = operations.count == 1
        var results: [Result<any Sendable, any Error>] = []
        for operation in operations {
            let guarded = !alone && !operation.singleStatement
            do {
                if guarded { _ = try await connection.query("SAVEPOINT operation") }
                let value = try await operation.run(connection)
                if guarded { _ = try await connection.query("RELEASE operation") }
                results.append(.success(value))
            } catch {
                if alone {
                    _ = try? await connection.query("ROLLBACK")
                    operation.ticket.fill(.failure(error))
                    return
                }
                if guarded {
                    _ = try? await connection.query("ROLLBACK TO operation")
                    _ = try? await connection.query("RELEASE operation")
                }
                results.append(.failure(error))
            }
        }
        do {
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            for operation in operations { operation.ticket.fill(.failure(error)) }
            return
        }
        for (operation, result) in zip(operations, results) { operation.ticket.fill(result) }
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
