import Logging
import PushRelayCore

/// A dispatcher of one kind of work beside job creation (status posts, recovery rounds, order checks), with
/// a wake-up of its own (one waits on it at a time), so that its hosts' slowness delays no job and no
/// other host; it polls the store every `idleDelay` when idle.
func backgroundDispatcher<Store: WorkQueue>(
    _ handler: any WorkHandler,
    store: Store,
    owner: String,
    lease: Duration,
    concurrency: Int,
    idleDelay: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> WorkDispatcher<Store> {
    var dispatcher = WorkDispatcher(
        store: store,
        handlers: [handler],
        wake: DispatchWakeUp(),
        logger: logger,
        owner: owner,
        concurrency: concurrency
    )
    dispatcher.lease = lease
    dispatcher.metrics = metrics
    dispatcher.idleDelay = idleDelay
    return dispatcher
}
