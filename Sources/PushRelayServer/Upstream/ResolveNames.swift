import AsyncHTTPClient
import Logging
import PushRelayCore

/// Resolves the config's names through Terrakube's API with a short-lived client (for `serve` at start
/// and `check --online`). A config without names comes back unchanged, with no call made.
package func resolveNames(
    _ config: RelayConfig,
    servicePath: String,
    logger: Logger
) async -> (RelayConfig?, [ConfigProblem]) {
    guard config.needsNameResolution else { return (config, []) }
    let client = HTTPClient.forTerrakube(requestTimeoutSeconds: config.settings.dispatch.requestTimeoutSeconds)
    let api = RESTTerrakubeAPI(
        client: client,
        baseURL: config.settings.terrakube.url,
        token: config.settings.terrakube.token,
        timeout: .seconds(config.settings.dispatch.requestTimeoutSeconds),
        logger: logger
    )
    let result = await NameResolver(directory: api).resolve(config, servicePath: servicePath)
    try? await client.shutdown()
    return result
}
