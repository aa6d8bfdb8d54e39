import PushRelayCore
import SQLiteNIO
import Synchronization

/// Runs store work on a single connection, committing everything that arrived while the previous batch
/// ran in one go: group commit.
///
/// One `fsync` then covers many webhooks, which is what lets the accept path stay durable (a commit
/// before every `202`) at thousands of deliveries a second. A batch is one transaction, whatever it holds:
/// - deliveries are written together (`bulkRecord`: one statement for the deliveries, one for their jobs);
/// - other operations (the dispatcher's claims and outcomes, `redeliver`) join the same transaction, each
///   inside its own savepoint (or, for a single statement, SQLite's own statement rollback), so one that
///   fails is rolled back alone and its caller alone gets the error.
///
/// The first caller to find the batcher idle starts a task that drains batches until the queue is empty;
/// every caller, that one included, waits on its own ticket only. That task runs on `executor`, the thread
/// of the connection's own pool: the task and the statements it runs then take turns on one thread, and
/// none of a batch's hops waits behind request handlers for a core of the shared pool.
final class WriteBatcher: Sendable {
    /// Writes many deliveries at once, inside the batch's transaction; returns one result per row, in order.
    typealias BulkRecord = @Sendable ([DeliveryRow], SQLiteConnection) async throws -> [RecordResult]

    private enum Work: Sendable {
        case record(DeliveryRow, Ticket<RecordResult>)
        case operation(PendingOperation)
    }

    /// An operation of any result type, seen by the batch as: run it, then (once the batch has committed)
    /// hand its caller the result, or the failure.
    private struct PendingOperation: Sendable {
        /// Runs the operation; returns what hands its result to its caller.
        var run: @Sendable (SQLiteConnection) async throws -> @Sendable () -> Void
        var fail: @Sendable (any Error) -> Void
        /// Atomic by itself, so it needs no savepoint or transaction of its own.
        var singleStatement: Bool
    }

    private struct State {
        var queue: [Work] = []
        var draining = false
    }

    private let connection: SQLiteConnection
    private let bulkRecord: BulkRecord
    private let state = Mutex(State())
    /// Largest number of items in one batch, to bound the latency of the first of them.
    private let maxBatch: Int
    private let executor: any TaskExecutor
    private let explain: @Sendable (any Error) -> any Error

    /// - Parameters:
    ///   - executor: where the draining task runs; the thread of `connection`'s pool.
    ///   - bulkRecord: writes up to `maxBatch` deliveries with one statement.
    ///   - explain: turns a failure into what its callers report (a full disk, in words).
    init(
        connection: SQLiteConnection,
        maxBatch: Int,
        executor: any TaskExecutor,
        bulkRecord: @escaping BulkRecord,
        explain: @escaping @Sendable (any Error) -> any Error = { $0 }
    ) {
        self.connection = connection
        self.maxBatch = maxBatch
        self.executor = executor
        self.bulkRecord = bulkRecord
        self.explain = explain
    }

    /// The ticket's value, its failure explained.
    private func value<T>(of ticket: Ticket<T>) async throws -> T {
        do {
            return try await ticket.value()
        } catch {
            throw self.explain(error)
        }
    }

    /// Queues a delivery for the next group commit. The row comes ready to bind: built by the caller, so
    /// that the batcher, which every delivery waits on, only runs SQL.
    func record(_ row: DeliveryRow) async throws -> RecordResult {
        let ticket = Ticket<RecordResult>()
        self.enqueue(.record(row, ticket))
        return try await self.value(of: ticket)
    }

    /// - Parameter singleStatement: the operation runs one SQL statement, which SQLite applies or rolls
    ///   back whole, so it needs no savepoint of its own.
    func perform<T: Sendable>(
        singleStatement: Bool = false,
        _ operation: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let ticket = Ticket<T>()
        let pending = PendingOperation(
            run: { connection in
                let value = try await operation(connection)
                return { ticket.fill(.success(value)) }
            },
            fail: { ticket.fill(.failure($0)) },
            singleStatement: singleStatement
        )
        self.enqueue(.operation(pending))
        return try await self.value(of: ticket)
    }

    private func enqueue(_ work: Work) {
        let start = self.state.withLock { state in
            state.queue.append(work)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        // A task of its own, not the caller's: under steady load the queue is never empty, and a caller
        // that drained it would wait for everyone's batches after its own (seconds, seen as p99.9).
        if start { Task(executorPreference: self.executor) { await self.drain() } }
    }

    private func nextBatch() -> [Work]? {
        self.state.withLock { state in
            guard !state.queue.isEmpty else {
                state.draining = false
                return nil
            }
            let batch = Array(state.queue.prefix(self.maxBatch))
            state.queue.removeFirst(batch.count)
            return batch
        }
    }

    private func drain() async {
        while let batch = self.nextBatch() {
            var records: [(row: DeliveryRow, ticket: Ticket<RecordResult>)] = []
            var operations: [PendingOperation] = []
            for work in batch {
                switch work {
                case .record(let row, let ticket): records.append((row, ticket))
                case .operation(let operation): operations.append(operation)
                }
            }
            await self.commit(records, operations)
        }
    }

    /// Everything in a batch shares one transaction, so one commit (one `fsync`) covers it.
    private func commit(
        _ records: [(row: DeliveryRow, ticket: Ticket<RecordResult>)],
        _ operations: [PendingOperation]
    ) async {
        let connection = self.connection
        if records.isEmpty, operations.count == 1, operations[0].singleStatement {
            do {
                try await operations[0].run(connection)()
            } catch {
                operations[0].fail(error)
            }
            return
        }
        func failEach(_ error: any Error) {
            for record in records { record.ticket.fill(.failure(error)) }
            for operation in operations { operation.fail(error) }
        }
        func failAll(_ error: any Error) async {
            _ = try? await connection.query("ROLLBACK")
            failEach(error)
        }
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
        } catch {
            failEach(error)
            return
        }
        var written: [RecordResult] = []
        if !records.isEmpty {
            // Deliveries fail only when the store does (disk full, I/O error), and SQLite may then have
            // rolled back the whole transaction already: nothing in this batch can be trusted to commit.
            do {
                written = try await self.bulkRecord(records.map(\.row), connection)
            } catch {
                await failAll(error)
                return
            }
        }
        // An operation alone needs no savepoint: if it fails, the whole transaction is rolled back.
        let alone = records.isEmpty && operations.count == 1
        var results: [Result<@Sendable () -> Void, any Error>] = []
        for operation in operations {
            let guarded = !alone && !operation.singleStatement
            do {
                if guarded { _ = try await connection.query("SAVEPOINT operation") }
                let value = try await operation.run(connection)
                if guarded { _ = try await connection.query("RELEASE operation") }
                results.append(.success(value))
            } catch {
                if alone {
                    await failAll(error)
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
            await failAll(error)
            return
        }
        for (record, result) in zip(records, written) { record.ticket.fill(.success(result)) }
        for (operation, result) in zip(operations, results) {
            switch result {
            case .success(let deliver): deliver()
            case .failure(let error): operation.fail(error)
            }
        }
    }
}
