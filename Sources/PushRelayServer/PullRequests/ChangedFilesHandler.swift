import Foundation
import Logging
import NIOHTTP1
import PushRelayCore
import ServiceLifecycle

/// Reads a pull request's changed files from its host (SPEC section 13) and queues the plans whose `paths`
/// they touch; the others get their "No changes" status. Where the files cannot be had (a refusal, over the
/// host's cap, an answer not understood) every plan is queued and the detail says why; a host that cannot
/// be reached is asked again with backoff, 5 times, then every plan is queued: a plan is never lost to a
/// host's outage.
struct ChangedFilesHandler: WorkHandler {
    let host: String
    let config: ConfigHolder
    let entry: GitHosts.Entry
    let exchange: HTTPExchange
    var retry = RetryPolicy(maxAttempts: 20)

    var type: WorkType<ChangedFilesCheck> { ChangedFilesCheck.type(host: self.host) }

    static let triesBeforeQueuing = 5

    /// Why the files were not read.
    private enum Missing: Error {
        /// The answer will not change: every plan is queued.
        case unknown(String)
        /// Worth asking again: the host was not reached, was busy or rate limited.
        case later(String, after: Duration?)
    }

    func perform(_ work: ClaimedWork, _ check: ChangedFilesCheck, logger: Logger) async -> WorkOutcome {
        guard
            let repository = self.config.config.repositories.first(where: {
                $0.identity.description == check.repository
            })
        else {
            return Self.everyPlan(check, reason: "the repository is no longer configured")
        }
        do throws(Missing) {
            let files = try await self.files(repository.identity.spelledPath, number: check.number)
            let (next, planned, untouched) = check.decide(files: files)
            var detail = "\(files.count) changed file\(files.count == 1 ? "" : "s")"
            if !planned.isEmpty { detail += "; planned: " + planned.joined(separator: ", ") }
            if !untouched.isEmpty { detail += "; no changes for " + untouched.joined(separator: ", ") }
            return .done(result: nil, label: .done, detail: detail, next: next)
        } catch {
            switch error {
            case .unknown(let reason):
                return Self.everyPlan(check, reason: reason)
            case .later(let reason, let after):
                guard work.attempts + 1 < Self.triesBeforeQueuing else {
                    return Self.everyPlan(check, reason: reason)
                }
                let delay = after ?? self.retry.delay(afterAttempts: work.attempts + 1)
                return .retry(status: nil, error: reason, after: delay, outcomeUnknown: false)
            }
        }
    }

    private static func everyPlan(_ check: ChangedFilesCheck, reason: String) -> WorkOutcome {
        .done(
            result: nil,
            label: .done,
            detail: "changed files unknown (\(reason)): every plan queued",
            next: check.everyPlan
        )
    }

    /// Every page of the pull request's changed files; a redirect or a next page is followed on the same
    /// origin only, never with the token to another.
    private func files(_ repository: String, number: Int) async throws(Missing) -> [String] {
        let kind = self.entry.settings.kind
        let apiURL = self.entry.settings.apiURL
        let token: APIToken
        do {
            token = try await self.entry.credentials.token(for: repository)
        } catch let failure as GitHubAppTokens.Failure where failure.retry {
            throw .later("no token: \(failure.reason)", after: failure.after)
        } catch {
            throw .unknown("no token: \(error)")
        }
        guard
            var request = PullRequestFiles.request(
                kind: kind,
                repository: repository,
                number: number,
                apiURL: apiURL,
                token: token
            )
        else { throw .unknown("\(kind.rawValue) has no API for a pull request's files") }
        var files: [String] = []
        var redirects = 0
        var pages = 0
        while pages < PullRequestFiles.maxPages {
            let answer = try await self.send(request)
            if [301, 302, 307, 308].contains(answer.status) {
                redirects += 1
                guard redirects <= 3, let location = answer.headers.first(name: "location"),
                    let next = HTTPExchange.sameOrigin(location, as: request.url)
                else { throw .unknown("HTTP \(answer.status) to another origin") }
                request.url = next
                continue
            }
            pages += 1
            switch PullRequestFiles.read(
                kind: kind,
                status: answer.status,
                body: answer.body,
                link: answer.headers.first(name: "link")
            ) {
            case .failure(let unknown):
                throw .unknown(unknown.reason)
            case .success(.iteration(let iteration)):
                guard
                    let changes = PullRequestFiles.azureChangesRequest(
                        repository: repository,
                        number: number,
                        iteration: iteration,
                        apiURL: apiURL,
                        token: token
                    )
                else { throw .unknown("no API root") }
                request = changes
            case .success(.files(let page, let next)):
                files += page
                if kind == .github, files.count >= PullRequestFiles.githubCap {
                    throw .unknown("at GitHub's cap of 3,000 files")
                }
                guard let next else { return Array(Set(files)).sorted() }
                guard let same = HTTPExchange.sameOrigin(next, as: request.url) else {
                    throw .unknown("the next page is on another origin")
                }
                request.url = same
            }
        }
        throw .unknown("over \(PullRequestFiles.maxPages) pages of changed files")
    }

    /// One request; a transport failure, a `5xx` or a spent rate limit is worth asking again.
    private func send(_ request: StatusRequest) async throws(Missing) -> HTTPExchange.Answer {
        let answer: HTTPExchange.Answer
        do {
            answer = try await self.exchange.send(request)
        } catch {
            throw .later(error.description, after: nil)
        }
        let header = { (name: String) in answer.headers.first(name: name) }
        if HostRateLimit.isSpent(status: answer.status, header: header) {
            throw .later("rate limited", after: HostRateLimit.wait(header: header, now: Date()))
        }
        if answer.status >= 500 { throw .later("HTTP \(answer.status)", after: nil) }
        return answer
    }
}

/// One dispatcher of changed-files checks per `hosts` entry whose kind lists a pull request's files: a slow
/// host delays neither another host nor job creation.
func changedFilesDispatchers(
    config: ConfigHolder,
    hosts: GitHosts,
    store: some ServedStore,
    owner: String,
    lease: Duration,
    metrics: RelayMetrics,
    logger: Logger
) -> [any Service] {
    hosts.entries.sorted { $0.key < $1.key }.filter { $0.value.settings.kind != .gogs }.map { host, entry in
        var exchange = hosts.exchange
        exchange.peer = host
        exchange.maxBody = 16 << 20
        exchange.timeout = .milliseconds(Int64(config.config.settings.dispatch.requestTimeoutSeconds * 1000))
        return backgroundDispatcher(
            ChangedFilesHandler(host: host, config: config, entry: entry, exchange: exchange),
            store: store,
            owner: owner,
            lease: lease,
            concurrency: 4,
            idleDelay: .milliseconds(200),
            metrics: metrics,
            logger: logger
        )
    }
}
