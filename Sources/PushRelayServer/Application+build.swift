import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import PushRelayCore
import ServiceLifecycle
import UnixSignals

/// The routes of `serve`. Separate from ``buildServiceGroup`` so route tests need no dispatcher.
package func buildRouter(
    config: ConfigHolder,
    store: some DeliveryStore,
    wake: DispatchWakeUp,
    metrics: RelayMetrics
) -> Router<BasicRequestContext> {
    buildRouter(webhooks: webhookEndpoint(config: config, store: store, wake: wake, metrics: metrics))
}

/// What answers webhooks, on the listener's connections and through the router alike.
func webhookEndpoint<Store: DeliveryStore>(
    config: ConfigHolder,
    store: Store,
    wake: DispatchWakeUp,
    metrics: RelayMetrics
) -> WebhookEndpoint<Store> {
    WebhookEndpoint(
        config: config,
        store: store,
        wake: wake,
        metrics: metrics,
        // Sized once, at start: a reload does not change max_buffered_bytes.
        budget: BodyBudget(total: config.config.settings.limits.maxBufferedBytes),
        writes: DeliveryWriteHealth()
    )
}

/// The routes, webhooks answered by `webhooks` (which ``WebhookChannelHandler`` also uses).
func buildRouter<Store: DeliveryStore>(webhooks endpoint: WebhookEndpoint<Store>) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let store = endpoint.store
    let health = HealthController(store: store, writes: endpoint.writes)
    router.get("/healthz", use: health.healthz)
    router.get("/readyz", use: health.readyz)
    router.get("/metrics", use: MetricsController(store: store, metrics: endpoint.metrics).scrape)
    let webhooks = WebhookController(endpoint: endpoint)
    router.add(
        middleware: WebhookMethodGuard { provider, context in webhooks.methodNotAllowed(provider, context: context) }
    )
    router.post("/hooks", use: webhooks.receiveDetected)
    let hints = TerrakubeHintController(
        config: endpoint.config,
        queue: store,
        metrics: endpoint.metrics,
        budget: endpoint.budget
    )
    router.post("/hooks/terrakube", use: hints.receive)
    router.post("/hooks/:provider", use: webhooks.receive)
    return router
}

/// Everything `serve` runs, in shutdown order reversed: on SIGTERM the listener stops first (finishing
/// requests in flight), then the dispatcher (finishing its Terrakube calls), then the HTTP client.
///
/// - Parameters:
///   - configDirectory: where the config was loaded from; given, the config reloads on SIGHUP and on
///     changes there.
///   - environment: where a reload finds the secrets named by `*_env`.
///   - onServerRunning: called with the bound port once the listener is up (port 0 picks a free one).
/// - Throws: when the TLS certificate or key cannot be loaded.
package func buildServiceGroup(
    config: RelayConfig,
    store: some ServedStore,
    logger: Logger,
    configDirectory: String? = nil,
    configCache: RepositoryFileCache = RepositoryFileCache(),
    environment: [String: String] = ProcessInfo.processInfo.environment,
    metrics: RelayMetrics? = nil,
    gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
    retry: RetryPolicy? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> ServiceGroup {
    let holder = ConfigHolder(config)
    let metrics = metrics ?? RelayMetrics(repositoryLabels: config.settings.metricsRepositoryLabel)
    let wake = DispatchWakeUp()
    let webhooks = webhookEndpoint(config: holder, store: store, wake: wake, metrics: metrics)
    // Before anything that needs shutting down (the HTTP client): it may throw.
    // Shared by the listener's connections and its accept loop: who may be shed at the connection limit.
    let shield = ConnectionShield(limits: config.settings.limits)
    let serverName = "pushrelay"
    let server = try listener(
        config.settings,
        shield: shield,
        webhooks: webhooks,
        serverName: serverName,
        logger: logger
    )
    let settings = config.settings
    let client = HTTPClient.forTerrakube(requestTimeoutSeconds: settings.dispatch.requestTimeoutSeconds)
    let api = RESTTerrakubeAPI(
        client: client,
        baseURL: settings.terrakube.url,
        token: settings.terrakube.token,
        timeout: .seconds(settings.dispatch.requestTimeoutSeconds),
        logger: logger,
        metrics: metrics
    )
    let owner = QueueOwner.make()
    let lease = Duration.milliseconds(Int64(settings.dispatch.leaseSeconds * 1000))
    var creation = TerrakubeJobCreation(
        api: api,
        results: store,
        retry: retry ?? RetryPolicy(maxAttempts: settings.dispatch.maxAttempts)
    )
    creation.uncertainRetryFloor = .seconds(settings.dispatch.requestTimeoutSeconds)
    let gitHosts = try GitHosts(settings, client: client)
    creation.commits = gitHosts.commitResolver
    var dispatcher = WorkDispatcher(
        store: store,
        handlers: [creation],
        wake: wake,
        logger: logger,
        owner: owner,
        concurrency: settings.dispatch.concurrency
    )
    dispatcher.lease = lease
    dispatcher.metrics = metrics
    let app = Application(
        router: buildRouter(webhooks: webhooks),
        server: server,
        configuration: .init(
            address: .hostname(settings.listen.host, port: settings.listen.port),
            serverName: serverName,
            availableConnectionsDelegate: SheddingConnections(
                settings.limits.maxConnections,
                shield: shield,
                logger: logger
            )
        ),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    // Stopped in reverse order: the leases are renewed until the dispatcher's last call has finished.
    var services: [any Service] = [HTTPClientService(client: client)] + store.services(wake: wake, logger: logger)
    services.append(QueueUpkeep(queue: store, owner: owner, lease: lease, wake: wake, logger: logger))
    services.append(RetentionSweeper(store: store, config: holder, logger: logger))
    services.append(dispatcher)
    services += statusDispatchers(
        settings,
        hosts: gitHosts,
        store: store,
        api: api,
        owner: owner,
        lease: lease,
        metrics: metrics,
        logger: logger
    )
    services.append(
        orderCheckDispatcher(
            config: holder,
            hosts: gitHosts,
            store: store,
            owner: owner,
            lease: lease,
            metrics: metrics,
            logger: logger
        )
    )
    services += planCommentDispatchers(
        settings,
        hosts: gitHosts,
        store: store,
        api: api,
        owner: owner,
        lease: lease,
        metrics: metrics,
        logger: logger
    )
    services += changedFilesDispatchers(
        config: holder,
        hosts: gitHosts,
        store: store,
        owner: owner,
        lease: lease,
        metrics: metrics,
        logger: logger
    )
    services += recoveryServices(
        settings,
        config: holder,
        hosts: gitHosts,
        store: store,
        wake: wake,
        owner: owner,
        lease: lease,
        metrics: metrics,
        logger: logger
    )
    if let configDirectory {
        let poll = settings.reloadPollSeconds
        services.append(
            ConfigReloader(
                directory: configDirectory,
                holder: holder,
                metrics: metrics,
                logger: logger,
                pollInterval: poll > 0 ? .milliseconds(Int64(poll * 1000)) : nil,
                environment: environment,
                cache: configCache,
                resolve: { config in
                    await resolveNames(config, servicePath: configDirectory + "/pushrelay.yaml", logger: logger)
                }
            )
        )
    }
    services.append(app)
    return ServiceGroup(
        configuration: .init(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
    )
}

/// HTTP/1.1 with the configured limits, webhooks answered on the connection by `webhooks`, wrapped in TLS
/// when the config names a certificate and key.
private func listener<Store: DeliveryStore>(
    _ settings: ServiceSettings,
    shield: ConnectionShield,
    webhooks: WebhookEndpoint<Store>,
    serverName: String,
    logger: Logger
) throws -> HTTPServerBuilder {
    let limits = settings.limits
    let milliseconds: @Sendable (Double) -> TimeAmount = { .milliseconds(Int64($0 * 1000)) }
    let (head, read, idle) = (
        milliseconds(limits.headTimeoutSeconds), milliseconds(limits.readTimeoutSeconds),
        milliseconds(limits.idleTimeoutSeconds)
    )
    let configuration = HTTP1Channel.Configuration(
        additionalChannelHandlers: [
            RequestDeadlineHandler(
                headTimeout: head,
                readTimeout: read,
                idleTimeout: idle,
                limits: limits,
                shield: shield
            )
        ],
        idleTimeout: idle,
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: limits.maxHeaderBytes,
            maxHeaderListSize: limits.maxHeaderBytes,
            maxHeaderFieldCount: 200
        )
    )
    let http = HTTPServerBuilder { responder in
        WebhookHTTP1Channel(
            http: HTTP1Channel(responder: responder, configuration: configuration),
            endpoint: webhooks,
            logger: logger,
            serverName: serverName
        )
    }
    guard let tls = settings.tls else { return http }
    let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map { NIOSSLCertificateSource.certificate($0) }
    let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
    return try .tls(
        http,
        tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
    )
}
