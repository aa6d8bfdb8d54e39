import ServiceLifecycle

extension ServiceGroup {
    /// Runs the group while `body` runs, then shuts it down gracefully and waits for it to finish,
    /// so no test leaves a server behind even when it fails.
    package func whileRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            await self.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}
