import Foundation
import NIOPosix
import Testing

@testable import PushRelayStore

/// The batcher's task runs where the writing connection runs its statements.
struct ThreadPoolTaskExecutorTests {
    @Test func taskAndPoolWorkShareTheOneThread() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let executor = ThreadPoolTaskExecutor(pool: pool)
        let poolThread = try await pool.runIfActive { pthread_self() }
        let threads = await Task(executorPreference: executor) {
            var seen = [pthread_self()]
            // A suspension and its resumption: both halves stay on the pool's thread.
            let inner = try? await pool.runIfActive { pthread_self() }
            seen.append(inner ?? pthread_self())
            seen.append(pthread_self())
            return seen
        }.value
        #expect(threads.allSatisfy { pthread_equal($0, poolThread) != 0 })
        try await pool.shutdownGracefully()
    }

    @Test(.timeLimit(.minutes(1))) func aTaskStillRunsOnceThePoolHasStopped() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        try await pool.shutdownGracefully()
        // A job dropped by a stopped pool would leave the task suspended for ever.
        let value = await Task(executorPreference: ThreadPoolTaskExecutor(pool: pool)) { 42 }.value
        #expect(value == 42)
    }
}
