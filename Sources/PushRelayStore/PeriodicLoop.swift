import ServiceLifecycle

/// The loop of every service that works on a timer: runs `pass` at once, then again after the pause it
/// returns, until graceful shutdown or cancellation. A cancelled sleep returns at once, so the loop looks
/// at cancellation as well as shutdown (a group stopping because another service failed cancels it), and
/// never spins; a pause ends early on graceful shutdown.
package func repeatUntilShutdown(_ pass: () async -> Duration) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        let pause = await pass()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
    }
}
