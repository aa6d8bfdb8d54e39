import CoreMetrics
import Foundation
import Metrics
import Prometheus
import PushRelayCore

/// Every metric the service exposes at `/metrics`, named and labelled in this one place. Label values are
/// bounded: providers, outcomes, status codes; a repository only when the config opts in, and then only a
/// configured one; never a delivery id or a ref.
package final class RelayMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Whether delivery counts carry the repository (`metrics.repository_label`).
    package let repositoryLabels: Bool

    package init(repositoryLabels: Bool = false) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Terrakube answers in milliseconds to seconds; the request timeout caps the top.
        factory.durationHistogramBuckets["pushrelay_terrakube_request_duration_seconds"] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.registry = registry
        self.factory = factory
        self.repositoryLabels = repositoryLabels
        Gauge(label: "pushrelay_build_info", dimensions: [("version", PushRelayVersion.current)], factory: factory)
            .record(1)
        // Present from the start, so that a rate() over them has a first sample.
        for result in ["success", "failure"] {
            Counter(label: "pushrelay_config_reloads_total", dimensions: [("result", result)], factory: factory)
                .increment(by: 0)
        }
    }

    /// One repository's round of missed-push recovery ended: `result` is `ok` (compared), `baseline` (the
    /// first), `recovered` (it queued missed pushes), `rate-limited`, `unreadable` (the host refused) or
    /// `failed`.
    package func recoveryRound(host: String, result: String) {
        Counter(
            label: "pushrelay_recovery_rounds_total",
            dimensions: [("host", host), ("result", result)],
            factory: self.factory
        ).increment()
        if result == "ok" || result == "baseline" || result == "recovered" {
            Gauge(
                label: "pushrelay_recovery_last_round_timestamp_seconds",
                dimensions: [("host", host)],
                factory: self.factory
            )
            .record(Date().timeIntervalSince1970)
        }
    }

    /// Pushes recovery found and recorded (jobs queued for them).
    package func recoveredPushes(host: String, count: Int) {
        Counter(label: "pushrelay_recovered_pushes_total", dimensions: [("host", host)], factory: self.factory)
            .increment(by: count)
    }

    /// A pull request's plan comment posted, edited, refused or given up on.
    package func planComment(host: String, outcome: String) {
        Counter(
            label: "pushrelay_plan_comments_total",
            dimensions: [("host", host), ("outcome", outcome)],
            factory: self.factory
        ).increment()
    }

    /// Resends of failed deliveries asked of a host.
    package func redeliveriesRequested(host: String, count: Int) {
        Counter(label: "pushrelay_redeliveries_requested_total", dimensions: [("host", host)], factory: self.factory)
            .increment(by: count)
    }

    /// What a host says is left of its rate limit, where it says.
    package func rateLimitRemaining(host: String, remaining: Int) {
        Gauge(label: "pushrelay_host_rate_limit_remaining", dimensions: [("host", host)], factory: self.factory)
            .record(remaining)
    }

    /// One webhook answered: `outcome` is queued, ignored, duplicate or rejected, with the HTTP status.
    /// - Parameter repository: the configured repository, counted only when the config opts in.
    package func delivery(provider: String, answer: WebhookAnswer, repository: String? = nil) {
        let outcome = answer.status == "error" ? "rejected" : answer.status
        var dimensions = [("provider", provider), ("outcome", outcome), ("status", String(answer.httpStatus))]
        if self.repositoryLabels { dimensions.append(("repository", repository ?? "")) }
        Counter(label: "pushrelay_deliveries_total", dimensions: dimensions, factory: self.factory).increment()
    }

    /// One attempt's end: its outcome's name (created, adopted, retry, failed for Terrakube jobs).
    package func workAttempt(kind: WorkKind, result: String) {
        Counter(
            label: "pushrelay_work_attempts_total",
            dimensions: [("kind", kind.rawValue), ("result", result)],
            factory: self.factory
        ).increment()
    }

    /// One status post's end: `result` is posted, unchanged (already on the commit, nothing sent), retry
    /// or refused.
    package func statusPost(host: String, kind: StatusHostKind, result: String) {
        Counter(
            label: "pushrelay_status_posts_total",
            dimensions: [("host", host), ("kind", kind.rawValue), ("result", result)],
            factory: self.factory
        ).increment()
    }

    /// One Terrakube call: `operation` is create, list, lookup or follow; `status` is `nil` when no answer came.
    package func terrakubeRequest(operation: String, status: Int?, duration: Duration) {
        let code = status.map(String.init) ?? "none"
        Counter(
            label: "pushrelay_terrakube_responses_total",
            dimensions: [("operation", operation), ("status", code)],
            factory: self.factory
        ).increment()
        Timer(
            label: "pushrelay_terrakube_request_duration_seconds",
            dimensions: [("operation", operation)],
            factory: self.factory
        ).record(duration: duration)
    }

    package func configReload(succeeded: Bool) {
        Counter(
            label: "pushrelay_config_reloads_total",
            dimensions: [("result", succeeded ? "success" : "failure")],
            factory: self.factory
        ).increment()
    }

    /// The queue as the store sees it, read when `/metrics` is scraped: every kind in `kinds` (those
    /// this binary runs), and any other the store holds.
    package func queue(
        counts: [WorkKind: [WorkState: Int]],
        oldestUnfinished: [WorkKind: Date],
        kinds: [WorkKind],
        now: Date
    ) {
        for kind in Set(kinds).union(counts.keys) {
            let byState = counts[kind] ?? [:]
            for state in WorkState.allCases {
                Gauge(
                    label: "pushrelay_work",
                    dimensions: [("kind", kind.rawValue), ("state", state.rawValue)],
                    factory: self.factory
                ).record(byState[state] ?? 0)
            }
            let depth = (byState[.pending] ?? 0) + (byState[.running] ?? 0)
            Gauge(label: "pushrelay_queue_depth", dimensions: [("kind", kind.rawValue)], factory: self.factory)
                .record(depth)
            if kind == .followTerrakubeJob {
                // The same number under the name an operator looks for.
                Gauge(label: "pushrelay_followed_jobs", factory: self.factory).record(depth)
            }
            // A recovery round is pending for ever, rescheduled after each round: its age says nothing
            // (`pushrelay_recovery_last_round_timestamp_seconds` does).
            guard !RecoveryRound.isRound(kind) else { continue }
            Gauge(
                label: "pushrelay_oldest_unfinished_work_age_seconds",
                dimensions: [("kind", kind.rawValue)],
                factory: self.factory
            ).record(oldestUnfinished[kind].map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
    }

    /// The Prometheus text exposition of everything above.
    package func exposition() -> [UInt8] {
        self.registry.emitToBuffer()
    }
}
