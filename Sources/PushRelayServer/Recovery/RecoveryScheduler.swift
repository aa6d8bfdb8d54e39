import Logging
import PushRelayCore
import PushRelayStore
import ServiceLifecycle

/// Queues each recovered repository's round: every one at start (a round now, SPEC section 12's "once at
/// start"), and then each repository a reload adds. A round reschedules itself after that; a repository
/// the config drops ends its round.
package struct RecoveryScheduler: Service {
    package let config: ConfigHolder
    package let queue: any WorkQueue
    package let logger: Logger
    /// How often the config is looked at for new repositories.
    package var checkInterval: Duration = .seconds(5)

    package init(config: ConfigHolder, queue: any WorkQueue, logger: Logger) {
        self.config = config
        self.queue = queue
        self.logger = logger
    }

    package func run() async throws {
        var queued: Set<RepositoryIdentity> = []
        var appHooks: Set<String> = []
        await repeatUntilShutdown {
            let config = self.config.config
            await self.queueAppHooks(config.settings, queued: &appHooks)
            let targets = config.repositories.compactMap { RecoveryTarget($0, settings: config.settings) }
            let identities = Set(targets.map(\.repository.identity))
            // A repository that left the config ended its round: if it comes back, it is queued again.
            queued.formIntersection(identities)
            let new = identities.subtracting(queued).sorted { $0.description < $1.description }
            guard !new.isEmpty else { return self.checkInterval }
            do {
                try await self.queue.enqueue(new.map(RecoveryRound.work(for:)))
                queued.formUnion(new)
                self.logger.debug("Recovery rounds queued", metadata: ["relay.repositories": "\(new.count)"])
            } catch {
                self.logger.warning("Recovery rounds not queued", metadata: ["relay.error": "\(error)"])
            }
            return self.checkInterval
        }
    }

    /// Each GitHub App host's hook round, once, when failed deliveries are to be resent.
    private func queueAppHooks(_ settings: ServiceSettings, queued: inout Set<String>) async {
        guard settings.recovery?.redeliverURL != nil else { return }
        let hosts = settings.hosts.filter { $0.value.app != nil && !queued.contains($0.key) }.keys.sorted()
        guard !hosts.isEmpty else { return }
        do {
            try await self.queue.enqueue(hosts.map(RecoveryRound.appHookWork(host:)))
            queued.formUnion(hosts)
        } catch {
            self.logger.warning("Recovery rounds not queued", metadata: ["relay.error": "\(error)"])
        }
    }
}

/// The services recovery needs when it is on: the scheduler, and one dispatcher per host its repositories
/// are on at start (a `hosts` entry or a known public host), so that a slow or rate-limited host delays
/// neither another host nor job creation.
func recoveryServices(
    _ settings: ServiceSettings,
    config: ConfigHolder,
    hosts: GitHosts,
    store: some ServedStore,
    wake: DispatchWakeUp,
    owner: String,
    lease: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> [any Service] {
    guard let recovery = settings.recovery else { return [] }
    let targets = config.config.repositories.compactMap { RecoveryTarget($0, settings: settings) }
    let names = Set(targets.map(\.repository.identity.host)).union(hosts.entries.keys).sorted()
    var services: [any Service] = [RecoveryScheduler(config: config, queue: store, logger: logger)]
    for name in names {
        var handler = hosts.roundHandler(
            name,
            config: config,
            store: store,
            wake: wake,
            interval: .milliseconds(Int64(recovery.pollSeconds * 1000))
        )
        handler.metrics = metrics
        // Rounds are minutes apart: a second's wait costs nothing, and an idle dispatcher asks the store less.
        services.append(
            backgroundDispatcher(
                handler,
                store: store,
                owner: owner,
                lease: lease,
                concurrency: 4,
                idleDelay: min(Duration.seconds(1), .milliseconds(Int64(recovery.pollSeconds * 500))),
                metrics: metrics,
                logger: logger
            )
        )
    }
    return services
}

/// The dispatcher of out-of-order pushes' checks (``OrderCheckHandler``): always on, since webhooks alone
/// can bring a push out of order; apart from job creation, which a slow host's compare must not hold up.
/// Rare, and a second late is nothing next to a delivery that came out of order.
func orderCheckDispatcher(
    config: ConfigHolder,
    hosts: GitHosts,
    store: some ServedStore,
    owner: String,
    lease: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> any Service {
    backgroundDispatcher(
        OrderCheckHandler(config: config, hosts: hosts, store: store),
        store: store,
        owner: owner,
        lease: lease,
        concurrency: 4,
        idleDelay: .seconds(1),
        metrics: metrics,
        logger: logger
    )
}

extension GitHosts {
    /// The handler of `host`'s recovery rounds: its credentials (none: read anonymously), and an exchange
    /// that reads up to a ref advertisement's cap, under the dispatch request timeout.
    func roundHandler(
        _ host: String,
        config: ConfigHolder,
        store: any RefHeadStore & DeliveryRecorder,
        wake: DispatchWakeUp,
        interval: Duration
    ) -> RecoveryRoundHandler {
        var exchange = self.exchange
        exchange.peer = host
        exchange.maxBody = RefAdvertisement.maxBytes
        exchange.timeout = .milliseconds(Int64(config.config.settings.dispatch.requestTimeoutSeconds * 1000))
        return RecoveryRoundHandler(
            host: host,
            config: config,
            credentials: self.entries[host]?.credentials,
            exchange: exchange,
            store: store,
            wake: wake,
            interval: interval
        )
    }
}
