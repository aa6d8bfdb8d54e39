import NIOPosix

/// Runs the jobs of tasks that prefer it on a `NIOThreadPool`. Given the one-thread pool a SQLite
/// connection runs its statements on, the task driving that connection and its statements take turns on
/// one thread: no hop between them waits for a core of the shared concurrency pool.
final class ThreadPoolTaskExecutor: TaskExecutor {
    private let pool: NIOThreadPool

    init(pool: NIOThreadPool) { self.pool = pool }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Run even when the pool has stopped (it then calls this closure at once, on this thread): a job
        // never run would leave its task suspended forever.
        self.pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
