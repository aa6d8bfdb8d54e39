import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PushRelayCore
import ServiceLifecycle
import UnixSignals

/// The routes of `serve`. Separate from ``buildServiceGroup`` so route tests need no dispatcher.
package func buildRouter(
    config: ConfigHolder,
    store: some DeliveryStore,
    wake: DispatchWakeUp
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let health = HealthController(store: store)
    router.get("/healthz", use: health.healthz)
    router.get("/readyz", use: health.readyz)

    let webhooks = WebhookController(config: config, store: store, wake: wake)
    router.post("/hooks", use: webhooks.receiveDetected)
    router.post("/hooks/:provider", use: webhooks.receive)
    for method in [HTTPRequest.Method.get, .put, .patch, .delete, .head] {
        router.on("/hooks", method: method, use: webhooks.methodNotAllowed)
        router.on("/hooks/:provider", method: method, use: webhooks.methodNotAllowed)
    }
    return router
}

/// Everything `serve` runs, in shutdown order reversed: on SIGTERM the listener stops first (finishing
/// requests in flight), then the dispatcher (finishing its Terrakube calls), then the HTTP client.
///
/// - Parameters:
///   - onServerRunning: called with the bound port once the listener is up (port 0 picks a free one).
package func buildServiceGroup(
    config: RelayConfig,
    store: some DeliveryStore,
    logger: Logger,
    gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
    retry: RetryPolicy? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> ServiceGroup {
    let holder = ConfigHolder(config)
    let wake = DispatchWakeUp()
    let settings = config.settings
    let client = HTTPClient.forTerrakube(requestTimeoutSeconds: settings.dispatch.requestTimeoutSeconds)
    let api = RESTTerrakubeAPI(
        client: client,
        baseURL: settings.terrakube.url,
        token: settings.terrakube.token,
        timeout: .seconds(settings.dispatch.requestTimeoutSeconds),
        logger: logger
    )
    var dispatcher = JobDispatcher(
        store: store,
        api: api,
        wake: wake,
        logger: logger,
        concurrency: settings.dispatch.concurrency,
        retry: retry ?? RetryPolicy(maxAttempts: settings.dispatch.maxAttempts)
    )
    dispatcher.uncertainRetryFloor = .seconds(settings.dispatch.requestTimeoutSeconds)
    let app = Application(
        router: buildRouter(config: holder, store: store, wake: wake),
        server: .http1(configuration: .init(idleTimeout: .seconds(75))),
        configuration: .init(
            address: .hostname(settings.listen.host, port: settings.listen.port),
            serverName: "pushrelay"
        ),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    return ServiceGroup(
        configuration: .init(
            services: [
                HTTPClientService(client: client), StoreMaintenance(store: store, logger: logger), dispatcher, app,
            ],
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger
        )
    )
}
