import AsyncHTTPClient
import Logging
import PushRelayCore

/// `pushrelay recover`: one round of each recovered repository (or of the one named) now, as `serve`'s
/// rounds run it; in a dry run, nothing is remembered or recorded.
/// - Returns: each repository's identity and how its round ended, in config order.
package func recoverNow(
    _ config: RelayConfig,
    store: some RefHeadStore & DeliveryRecorder,
    repository: RepositoryIdentity?,
    dryRun: Bool,
    logger: Logger
) async throws -> [(repository: String, result: RecoveryRoundHandler.Result)] {
    let client = HTTPClient.forTerrakube(requestTimeoutSeconds: config.settings.dispatch.requestTimeoutSeconds)
    do {
        let results = try await recoverNow(
            config,
            client: client,
            store: store,
            repository: repository,
            dryRun: dryRun,
            logger: logger
        )
        try await client.shutdown()
        return results
    } catch {
        try? await client.shutdown()
        throw error
    }
}

private func recoverNow(
    _ config: RelayConfig,
    client: HTTPClient,
    store: some RefHeadStore & DeliveryRecorder,
    repository: RepositoryIdentity?,
    dryRun: Bool,
    logger: Logger
) async throws -> [(repository: String, result: RecoveryRoundHandler.Result)] {
    let hosts = try GitHosts(config.settings, client: client)
    let holder = ConfigHolder(config)
    var results: [(repository: String, result: RecoveryRoundHandler.Result)] = []
    let targets = config.repositories.compactMap { RecoveryTarget($0, settings: config.settings) }
    for target in targets where repository == nil || target.repository.identity == repository {
        let name = target.repository.identity.host
        var exchange = hosts.exchange
        exchange.peer = name
        exchange.maxBody = RefAdvertisement.maxBytes
        exchange.timeout = .milliseconds(Int64(config.settings.dispatch.requestTimeoutSeconds * 1000))
        var handler = RecoveryRoundHandler(
            host: name,
            config: holder,
            credentials: hosts.entries[name]?.credentials,
            exchange: exchange,
            store: store,
            wake: DispatchWakeUp(),
            interval: .zero
        )
        handler.dryRun = dryRun
        results.append(
            (target.repository.identity.description, await handler.round(target, config: config, logger: logger))
        )
    }
    return results
}
