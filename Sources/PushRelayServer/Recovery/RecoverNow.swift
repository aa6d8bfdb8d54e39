import AsyncHTTPClient
import Logging
import PushRelayCore

/// How one repository's round ended in `pushrelay recover`: its heads, and its hooks' failed deliveries
/// where they are resent.
package struct RecoveredRepository: Sendable {
    /// The repository's identity, or `{host} (GitHub App hook)`.
    package var name: String
    /// `nil` for a GitHub App's hook, which has no heads.
    package var heads: RecoveryRoundHandler.Result?
    package var redelivery: Redeliverer.Outcome?
}

/// `pushrelay recover`: one round of each recovered repository (or of the one named) now, as `serve`'s
/// rounds run it, and of each GitHub App's hook when every repository is; in a dry run, nothing is
/// remembered, recorded or resent.
/// - Returns: each repository's round, in config order, then the App hooks'.
package func recoverNow(
    _ config: RelayConfig,
    store: some RefHeadStore & DeliveryRecorder,
    repository: RepositoryIdentity?,
    dryRun: Bool,
    logger: Logger
) async throws -> [RecoveredRepository] {
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
) async throws -> [RecoveredRepository] {
    let hosts = try GitHosts(config.settings, client: client)
    let holder = ConfigHolder(config)
    var results: [RecoveredRepository] = []
    let targets = config.repositories.compactMap { RecoveryTarget($0, settings: config.settings) }
    for target in targets where repository == nil || target.repository.identity == repository {
        var handler = hosts.roundHandler(
            target.repository.identity.host,
            config: holder,
            store: store,
            wake: DispatchWakeUp(),
            interval: .zero
        )
        handler.dryRun = dryRun
        results.append(
            RecoveredRepository(
                name: target.repository.identity.description,
                heads: await handler.round(target, config: config, logger: logger),
                redelivery: await handler.redeliver(target)
            )
        )
    }
    for host in hosts.entries.keys.sorted() where repository == nil {
        var handler = hosts.roundHandler(host, config: holder, store: store, wake: DispatchWakeUp(), interval: .zero)
        handler.dryRun = dryRun
        if let outcome = await handler.redeliverAppHook(config) {
            results.append(RecoveredRepository(name: "\(host) (GitHub App hook)", heads: nil, redelivery: outcome))
        }
    }
    return results
}

/// `check --online` for recovery: each recovered repository's refs read once, as its rounds read them. A
/// repository that cannot be read is a problem of its file, naming the host and its answer (never the
/// token).
package func checkRecoveryAccess(_ config: RelayConfig) async -> (checked: Int, problems: [ConfigProblem]) {
    guard config.settings.recovery != nil else { return (0, []) }
    let client = HTTPClient.forTerrakube(requestTimeoutSeconds: config.settings.dispatch.requestTimeoutSeconds)
    var problems: [ConfigProblem] = []
    var checked = 0
    do {
        let hosts = try GitHosts(config.settings, client: client)
        let holder = ConfigHolder(config)
        for target in config.repositories.compactMap({ RecoveryTarget($0, settings: config.settings) }) {
            checked += 1
            let name = target.repository.identity.host
            var handler = hosts.roundHandler(
                name,
                config: holder,
                store: InertHeads(),
                wake: DispatchWakeUp(),
                interval: .zero
            )
            if let failure = await handler.readFailure(target) {
                let reason = RecoverCommandText.describe(failure, dryRun: true)
                problems.append(
                    ConfigProblem(file: target.repository.file, line: nil, message: "recovery on \(name): \(reason)")
                )
            }
            // Hooks and deliveries listed as a round lists them, nothing resent.
            handler.dryRun = true
            if let outcome = await handler.redeliver(target), let reason = RecoverCommandText.problem(outcome) {
                problems.append(
                    ConfigProblem(file: target.repository.file, line: nil, message: "redelivery on \(name): \(reason)")
                )
            }
        }
        for host in hosts.entries.keys.sorted() {
            var handler = hosts.roundHandler(
                host,
                config: holder,
                store: InertHeads(),
                wake: DispatchWakeUp(),
                interval: .zero
            )
            handler.dryRun = true
            if let outcome = await handler.redeliverAppHook(config), let reason = RecoverCommandText.problem(outcome) {
                problems.append(
                    ConfigProblem(
                        file: "hosts",
                        line: nil,
                        message: "redelivery on \(host)'s GitHub App hook: \(reason)"
                    )
                )
            }
        }
    } catch {
        problems.append(
            ConfigProblem(file: "hosts", line: nil, message: "cannot make the hosts' credentials: \(error)")
        )
    }
    try? await client.shutdown()
    return (checked, problems)
}

/// How `recover` and `check --online` put a round's end in words.
package enum RecoverCommandText {
    package static func describe(_ result: RecoveryRoundHandler.Result, dryRun: Bool) -> String {
        switch result {
        case .compared: "nothing missed"
        case .baseline(let refs): (dryRun ? "would remember" : "remembered") + " \(refs) refs (first round)"
        case .recovered(let pushes): (dryRun ? "would queue " : "queued ") + pushes.joined(separator: "; ")
        case .rateLimited(let wait), .paused(let wait): "rate limited; try again in \(wait)"
        case .unreadable(let reason): "cannot read: \(reason)"
        case .failed(let reason): "failed: \(reason)"
        }
    }

    package static func describe(_ outcome: Redeliverer.Outcome, dryRun: Bool) -> String {
        switch outcome {
        case .asked(let events) where events.isEmpty: "no failed deliveries to resend"
        case .asked(let events):
            (dryRun ? "would ask" : "asked") + " the host to resend \(events.count) failed deliver"
                + (events.count == 1 ? "y: " : "ies: ") + events.joined(separator: ", ")
        case .cannotList(let reason): "redelivery: \(reason)"
        case .rateLimited(let wait): "redelivery rate limited; try again in \(wait)"
        case .failed(let reason): "redelivery failed: \(reason)"
        }
    }

    /// What `check --online` reports of a redelivery pass: `nil` when it could list what it needs.
    package static func problem(_ outcome: Redeliverer.Outcome) -> String? {
        switch outcome {
        case .asked: nil
        case .cannotList(let reason), .failed(let reason): reason
        case .rateLimited(let wait): "rate limited; try again in \(wait)"
        }
    }
}

/// A store for a handler that only reads refs: never asked.
private struct InertHeads: RefHeadStore, DeliveryRecorder {
    func heads(of repository: String) async throws -> RememberedHeads { RememberedHeads(baselined: false, heads: [:]) }
    func baseline(_ repository: String, heads: [String: String]) async throws {}
    func moveHead(_ key: HeadKey, from expected: String?, to head: String) async throws -> Bool { false }
    func record(_ plan: DeliveryPlan) async throws -> RecordResult { .duplicate }
    func requeueWork(provider: ProviderKind, deliveryID: String) async throws -> Int { 0 }
}
