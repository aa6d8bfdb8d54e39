import Foundation
import Logging
import NIOHTTP1
import PushRelayCore
import Synchronization

/// One host's rounds of missed-push recovery (SPEC section 12), one repository an item: read the refs Git
/// advertises, and record what differs from the remembered heads as the pushes a webhook would have
/// brought, through the one accept path (``WebhookIntake/plan(_:provider:headers:body:receivedAt:)``) and
/// the store's settling, so that a commit is queued once whichever way it came. The first round of a
/// repository only remembers.
///
/// Every round ends rescheduled for the next one; a host that says its rate limit is spent pauses all of
/// its repositories' rounds until it says.
package struct RecoveryRoundHandler: WorkHandler {
    package let host: String
    package let config: ConfigHolder
    /// The `hosts` entry's credentials; `nil`: read anonymously.
    package let credentials: HostCredentials?
    package let exchange: HTTPExchange
    package let store: any RefHeadStore & DeliveryRecorder
    /// Told when a recovered push queued jobs: the creation dispatcher's.
    package let wake: DispatchWakeUp
    package var interval: Duration
    package var metrics: RelayMetrics?
    /// `recover --dry-run`: nothing is remembered or recorded; a round says what it would queue.
    package var dryRun = false
    /// Until when the host asked to be left alone; shared by its rounds (and copies of this handler).
    private let pause = HostPause()
    private let redeliveries = RedeliveryMemory()

    package var type: WorkType<RecoveryRound> { RecoveryRound.type(host: self.host) }

    package init(
        host: String,
        config: ConfigHolder,
        credentials: HostCredentials?,
        exchange: HTTPExchange,
        store: any RefHeadStore & DeliveryRecorder,
        wake: DispatchWakeUp,
        interval: Duration
    ) {
        self.host = host
        self.config = config
        self.credentials = credentials
        self.exchange = exchange
        self.store = store
        self.wake = wake
        self.interval = interval
    }

    /// How a round ended, for the log and `/metrics`.
    package enum Result: Sendable, Equatable {
        case compared
        case baseline(refs: Int)
        /// Each push recorded (or, in a dry run, that would be): `{ref}@{sha}: N jobs`.
        case recovered([String])
        case rateLimited(Duration)
        /// The host had said to wait (another repository's answer) when this round was about to ask it.
        case paused(Duration)
        case unreadable(String)
        case failed(String)

        var name: String {
            switch self {
            case .compared: "ok"
            case .baseline: "baseline"
            case .recovered: "recovered"
            case .rateLimited: "rate-limited"
            case .paused: "paused"
            case .unreadable: "unreadable"
            case .failed: "failed"
            }
        }
    }

    package func perform(_ work: ClaimedWork, _ round: RecoveryRound, logger: Logger) async -> WorkOutcome {
        let config = self.config.config
        if round.appHook == true {
            if let until = self.pause.until, until > .now { return .reschedule(payload: nil, after: until - .now) }
            if let outcome = await self.redeliverAppHook(config) { self.report(outcome, logger: logger) }
            return .reschedule(payload: nil, after: self.nextRound())
        }
        guard let repository = config.repositories.first(where: { $0.identity.description == round.repository }),
            let target = RecoveryTarget(repository, settings: config.settings)
        else {
            // Gone from the config, or out of recovery: no request, but the item stays, so that the
            // repository's rounds go on by themselves if a reload brings it back.
            return .reschedule(payload: nil, after: self.nextRound())
        }
        if let until = self.pause.until, until > .now {
            return .reschedule(payload: nil, after: until - .now)
        }
        let result = await self.round(target, config: config, logger: logger)
        // A round that found the host paused asked nothing: it is not counted, only put off.
        if case .paused(let wait) = result { return .reschedule(payload: nil, after: wait) }
        self.metrics?.recoveryRound(host: self.host, result: result.name)
        switch result {
        case .rateLimited(let wait):
            logger.warning("Recovery paused: rate limit", metadata: ["relay.retry.in": "\(wait)"])
            return .reschedule(payload: nil, after: wait)
        case .unreadable(let reason), .failed(let reason):
            logger.warning("Recovery round failed", metadata: ["relay.error": "\(reason)"])
        case .recovered(let refs):
            logger.info("Missed pushes recovered", metadata: ["relay.refs": "\(refs.joined(separator: "; "))"])
            self.metrics?.recoveredPushes(host: self.host, count: refs.count)
        case .baseline(let refs):
            logger.info("Recovery baseline taken", metadata: ["relay.refs": "\(refs)"])
        case .compared, .paused:
            break
        }
        if let outcome = await self.redeliver(target) { self.report(outcome, logger: logger) }
        return .reschedule(payload: nil, after: self.nextRound())
    }

    /// Logs and counts a redelivery pass; a rate limit pauses the host's rounds.
    private func report(_ outcome: Redeliverer.Outcome, logger: Logger) {
        switch outcome {
        case .asked(let events) where !events.isEmpty:
            logger.info("Failed deliveries resent", metadata: ["relay.deliveries": "\(events.joined(separator: ", "))"])
            self.metrics?.redeliveriesRequested(host: self.host, count: events.count)
        case .asked:
            break
        case .cannotList(let reason), .failed(let reason):
            logger.warning("Redelivery failed", metadata: ["relay.error": "\(reason)"])
        case .rateLimited(let wait):
            self.pause.until = .now + wait
            logger.warning("Recovery paused: rate limit", metadata: ["relay.retry.in": "\(wait)"])
        }
    }

    /// The pass over `target`'s hooks (GitHub and GitLab with a token, when `redeliver_url` is set);
    /// `nil` when there is none to make. A GitHub App's hook has a round of its own.
    package func redeliver(_ target: RecoveryTarget) async -> Redeliverer.Outcome? {
        guard let prefix = self.config.config.settings.recovery?.redeliverURL,
            target.kind == .github || target.kind == .gitlab, case .token(let token) = self.credentials,
            let redeliverer = self.redeliverer(prefix: prefix, kind: target.kind, apiURL: target.host?.apiURL)
        else { return nil }
        return await redeliverer.repository(target.repository.identity.spelledPath, token: token)
    }

    /// The pass over the host's GitHub App hook; `nil` when there is none to make.
    package func redeliverAppHook(_ config: RelayConfig) async -> Redeliverer.Outcome? {
        guard let prefix = config.settings.recovery?.redeliverURL, case .app(let tokens) = self.credentials,
            let redeliverer = self.redeliverer(
                prefix: prefix,
                kind: .github,
                apiURL: config.settings.hosts[self.host]?.apiURL
            )
        else { return nil }
        do {
            return await redeliverer.app(jwt: try await tokens.appJWT())
        } catch {
            return .failed("no JWT: \(error)")
        }
    }

    private func redeliverer(prefix: String, kind: GitHostKind, apiURL: String?) -> Redeliverer? {
        guard let apiURL = apiURL ?? kind.defaultAPIURL, !apiURL.isEmpty else { return nil }
        return Redeliverer(
            kind: kind,
            apiURL: apiURL,
            prefix: prefix,
            exchange: self.exchange,
            dryRun: self.dryRun,
            memory: self.redeliveries,
            margin: self.interval
        )
    }

    /// The interval with up to 10% of jitter, so that the rounds of repositories configured together drift
    /// apart.
    private func nextRound() -> Duration {
        self.interval + self.interval * Double.random(in: 0...0.1)
    }

    /// One round of `target`, with nothing retried: the next round is the retry.
    package func round(_ target: RecoveryTarget, config: RelayConfig, logger: Logger) async -> Result {
        let advertised: [String: String]
        switch await self.refs(target) {
        case .success(let heads): advertised = heads
        case .failure(let failure): return failure.result
        }
        let identity = target.repository.identity.description
        do {
            let remembered = try await self.store.heads(of: identity)
            guard remembered.baselined else {
                if !self.dryRun { try await self.store.baseline(identity, heads: advertised) }
                return .baseline(refs: advertised.count)
            }
            var recovered: [String] = []
            let intake = WebhookIntake(config: config)
            let paths = target.repository.routes.contains { $0.paths != nil }
            for found in MissedPushes.find(advertised: advertised, remembered: remembered.heads) {
                var push = found
                if paths, !push.deleted, let before = push.previousCommit, let commit = push.commit {
                    switch await self.changedFiles(target, base: before, head: commit) {
                    case .success(let files):
                        push.changedFiles = files
                        push.changedFilesUnknownReason = nil
                    case .failure(let unknown): push.changedFilesUnknownReason = unknown.reason
                    }
                }
                // A ref no route watches (or a name Git would refuse) is no push anyone missed: its head is
                // remembered, so that the next rounds do not find it again.
                let unwatched = {
                    guard !self.dryRun else { return }
                    let key = HeadKey(repository: identity, ref: push.ref.name)
                    _ = try await self.store.moveHead(
                        key,
                        from: remembered.heads[push.ref.name],
                        to: push.commit ?? HeadMove.deleted
                    )
                }
                guard let assessment = DeliveryAssessment.recovered(push, target: target, config: config) else {
                    try await unwatched()
                    continue
                }
                let plan = intake.plan(
                    assessment,
                    provider: target.provider,
                    headers: [:],
                    body: [],
                    receivedAt: Date()
                )
                guard plan.record.decision == .queue else {
                    try await unwatched()
                    continue
                }
                let settled: DeliveryPlan
                if self.dryRun {
                    let heads = remembered.heads.reduce(into: [HeadKey: String]()) {
                        $0[HeadKey(repository: identity, ref: $1.key)] = $1.value
                    }
                    settled = plan.settled(remembered: heads).plan
                } else if case .recorded(_, let written) = try await self.store.record(plan) {
                    settled = written
                } else {
                    continue
                }
                if !settled.jobs.isEmpty {
                    let jobs = "\(settled.jobs.count) job\(settled.jobs.count == 1 ? "" : "s")"
                    recovered.append("\(push.ref.name)@\(push.commit ?? "deleted"): \(jobs)")
                }
            }
            if !recovered.isEmpty && !self.dryRun { self.wake.signal() }
            return recovered.isEmpty ? .compared : .recovered(recovered)
        } catch {
            return .failed("store: \(error)")
        }
    }

    /// Whether `target`'s refs can be read (`check --online`): `nil`, or the round's failure.
    package func readFailure(_ target: RecoveryTarget) async -> Result? {
        switch await self.refs(target) {
        case .success: nil
        case .failure(let failure): failure.result
        }
    }

    /// The files `head` changed since `base`, from the host's compare API.
    private func changedFiles(
        _ target: RecoveryTarget,
        base: String,
        head: String
    ) async -> Swift.Result<[String], CommitChanges.Unknown> {
        let apiURL = target.host?.apiURL ?? target.kind.defaultAPIURL ?? ""
        let token: APIToken?
        do {
            token = try await self.credentials?.token(for: target.repository.identity.spelledPath)
        } catch {
            return .failure(CommitChanges.Unknown("no token: \(error)"))
        }
        guard
            let request = CommitChanges.request(
                kind: target.kind,
                repository: target.repository.identity.spelledPath,
                base: base,
                head: head,
                apiURL: apiURL,
                token: token
            )
        else { return .failure(CommitChanges.Unknown("\(target.kind.rawValue) has no compare API")) }
        var exchange = self.exchange
        exchange.maxBody = 16 << 20
        do {
            let answer = try await exchange.send(.GET, url: request.url, headers: request.headers)
            return CommitChanges.read(kind: target.kind, status: answer.status, body: answer.body)
        } catch {
            return .failure(CommitChanges.Unknown(error.description))
        }
    }

    private struct Failure: Error {
        var result: Result
    }

    /// The branches and tags Git advertises; a redirect is followed on the same origin only, never with the
    /// token to another.
    private func refs(_ target: RecoveryTarget) async -> Swift.Result<[String: String], Failure> {
        var headers: [(name: String, value: String)] = [("Accept", "application/x-git-upload-pack-advertisement")]
        if let credentials = self.credentials {
            do {
                let token = try await credentials.token(for: target.repository.identity.spelledPath)
                headers.append(("Authorization", target.kind.gitAuthorization(token: token.value)))
            } catch {
                return .failure(Failure(result: .unreadable("no token: \(error)")))
            }
        }
        var url = target.refsURL
        for _ in 0..<3 {
            // Checked again right before the request: a round claimed before the host said to wait (another
            // repository's answer) must not ask it meanwhile.
            if let until = self.pause.until, until > .now {
                return .failure(Failure(result: .paused(until - .now)))
            }
            let answer: HTTPExchange.Answer
            do {
                answer = try await self.exchange.send(.GET, url: url, headers: headers)
            } catch {
                return .failure(Failure(result: .failed(error.description)))
            }
            let header = { (name: String) in answer.headers.first(name: name) }
            if let remaining = HostRateLimit.remaining(header: header) {
                self.metrics?.rateLimitRemaining(host: self.host, remaining: remaining)
            }
            if HostRateLimit.isSpent(status: answer.status, header: header) {
                let wait = HostRateLimit.wait(header: header, now: Date()) ?? .seconds(60)
                self.pause.until = .now + wait
                return .failure(Failure(result: .rateLimited(wait)))
            }
            switch answer.status {
            case 200:
                do {
                    return .success(try RefAdvertisement(parsing: answer.body).heads)
                } catch {
                    return .failure(Failure(result: .failed("not a ref advertisement: \(error.reason)")))
                }
            case 301, 302, 307, 308:
                guard let location = header("location"), let next = HTTPExchange.sameOrigin(location, as: url) else {
                    return .failure(Failure(result: .unreadable("HTTP \(answer.status) to another origin")))
                }
                url = next
            case 401, 403, 404:
                return .failure(Failure(result: .unreadable("HTTP \(answer.status): cannot read the repository")))
            default:
                return .failure(Failure(result: .failed("HTTP \(answer.status)")))
            }
        }
        return .failure(Failure(result: .failed("too many redirects")))
    }
}

/// Until when a host asked to be left alone.
private final class HostPause: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)

    var until: ContinuousClock.Instant? {
        get { self.instant.withLock { $0 } }
        set { self.instant.withLock { $0 = newValue } }
    }
}
