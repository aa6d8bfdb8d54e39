import Logging
import PushRelayCore
import ServiceLifecycle

/// The dispatchers commit statuses need, none when `status` is not configured: one that follows the
/// created jobs, and one per Git host, so that a slow or hanging host delays neither job creation nor
/// another host. Each has a wake-up of its own (one waits on it at a time) and polls otherwise.
func statusDispatchers(
    _ settings: ServiceSettings,
    hosts: GitHosts,
    store: some WorkQueue,
    api: some TerrakubeAPI,
    owner: String,
    lease: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> [any Service] {
    guard let status = settings.status, let uiURL = settings.terrakube.uiURL else { return [] }
    var follower = TerrakubeJobFollower(api: api)
    follower.cadence = FollowCadence(
        active: .milliseconds(Int64(status.pollSeconds * 1000)),
        waiting: .milliseconds(Int64(status.approvalPollSeconds * 1000))
    )
    follower.onChange = { job, progress in job.target.map { [$0.post(progress)] } ?? [] }
    var handlers: [(handler: any WorkHandler, concurrency: Int)] = [(follower, follower.batchSize * 2)]
    for (host, entry) in hosts.entries.sorted(by: { $0.key < $1.key }) {
        guard let kind = entry.settings.statusKind else { continue }
        var poster = StatusPoster(
            host: host,
            kind: kind,
            settings: entry.settings,
            credentials: entry.credentials,
            fallbackURL: uiURL,
            exchange: hosts.exchange
        )
        poster.metrics = metrics
        handlers.append((poster, 4))
    }
    return handlers.map { handler, concurrency in
        // Statuses are not urgent: a quarter of a second late is nothing to a person looking at a commit.
        backgroundDispatcher(
            handler,
            store: store,
            owner: owner,
            lease: lease,
            concurrency: concurrency,
            idleDelay: .milliseconds(250),
            metrics: metrics,
            logger: logger
        )
    }
}
