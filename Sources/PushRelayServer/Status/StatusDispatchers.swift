import Logging
import PushRelayCore
import ServiceLifecycle

/// The dispatchers commit statuses need: one that follows the created jobs (also for the plan comment), and,
/// when `status` is configured, one per Git host, so that a slow or hanging host delays neither job creation nor
/// another host. Each has a wake-up of its own (one waits on it at a time) and polls otherwise.
func statusDispatchers(
    _ settings: ServiceSettings,
    hosts: GitHosts,
    store: some WorkQueue & DocumentStore,
    api: some TerrakubeAPI,
    owner: String,
    lease: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> [any Service] {
    // The follower runs whenever a job may be followed: for its commit status, or for its pull request's
    // plan comment (which needs no `status` section).
    var follower = TerrakubeJobFollower(api: api)
    if let status = settings.status {
        follower.cadence = FollowCadence(
            active: .milliseconds(Int64(status.pollSeconds * 1000)),
            waiting: .milliseconds(Int64(status.approvalPollSeconds * 1000))
        )
    }
    follower.onChange = { job, progress in
        (job.target.map { [$0.post(progress)] } ?? [])
            + (job.comment.map {
                [
                    PlanSectionUpdate(target: $0, organization: job.organization, jobID: job.jobID, progress: progress)
                        .work
                ]
            } ?? [])
    }
    var handlers: [(handler: any WorkHandler, concurrency: Int)] = [(follower, follower.batchSize * 2)]
    for (host, entry) in hosts.entries.sorted(by: { $0.key < $1.key }) {
        guard settings.status != nil, let uiURL = settings.terrakube.uiURL, let kind = entry.settings.statusKind
        else { continue }
        var poster = StatusPoster(
            host: host,
            kind: kind,
            settings: entry.settings,
            credentials: entry.credentials,
            fallbackURL: uiURL,
            exchange: hosts.exchange
        )
        poster.metrics = metrics
        poster.documents = store
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

/// The dispatchers of the pull request plan comment (SPEC section 13): one that writes each plan's section
/// (reading its output back from Terrakube), and one per Git host with a comment API that posts or edits
/// the comments, so that a slow host delays neither another host nor job creation.
func planCommentDispatchers(
    _ settings: ServiceSettings,
    hosts: GitHosts,
    store: some ServedStore,
    api: RESTTerrakubeAPI,
    owner: String,
    lease: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> [any Service] {
    var handlers: [any WorkHandler] = [
        PlanSectionHandler(outputs: api, store: store, uiURL: settings.terrakube.uiURL)
    ]
    for (host, entry) in hosts.entries.sorted(by: { $0.key < $1.key }) where entry.settings.kind != .gogs {
        var exchange = hosts.exchange
        exchange.peer = host
        var handler = PlanCommentHandler(host: host, entry: entry, exchange: exchange, store: store)
        handler.metrics = metrics
        handlers.append(handler)
    }
    return handlers.map { handler in
        backgroundDispatcher(
            handler,
            store: store,
            owner: owner,
            lease: lease,
            concurrency: 4,
            idleDelay: .milliseconds(250),
            metrics: metrics,
            logger: logger
        )
    }
}
