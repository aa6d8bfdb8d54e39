/// Polls `condition` every 20 ms until it holds or `timeout` passes; whether it held. Tests wait on a
/// condition with a deadline this way, never on a bare sleep.
package func eventually(
    within timeout: Duration = .seconds(15),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
