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

    /// One webhook answered: `outcome` is queued, ignored, duplicate or rejected, with the HTTP status.
    /// - Parameter repository: the configured repository, counted only when the config opts in.
    package func delivery(provider: String, answer: WebhookAnswer, repository: String? = nil) {
        let outcome = answer.status == "error" ? "rejected" : answer.status
        var dimensions = [("provider", provider), ("outcome", outcome), ("status", String(answer.httpStatus))]
        if self.repositoryLabels { dimensions.append(("repository", repository ?? "")) }
        Counter(label: "pushrelay_deliveries_total", dimensions: dimensions, factory: self.factory).increment()
    }

    /// One dispatcher attempt's end: created, adopted, retry or failed.
    package func jobAttempt(_ result: String) {
        Counter(label: "pushrelay_job_attempts_total", dimensions: [("result", result)], factory: self.factory)
            .increment()
    }

    /// One Terrakube call: `operation` is create, list or lookup; `status` is `nil` when no answer came.
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

    /// The queue as the store sees it, read when `/metrics` is scraped.
    package func queue(counts: [JobState: Int], oldestPending: Date?, now: Date) {
        for state in JobState.allCases {
            Gauge(label: "pushrelay_jobs", dimensions: [("state", state.rawValue)], factory: self.factory)
                .record(counts[state] ?? 0)
        }
        let depth = (counts[.pending] ?? 0) + (counts[.sending] ?? 0)
        Gauge(label: "pushrelay_queue_depth", factory: self.factory).record(depth)
        Gauge(label: "pushrelay_oldest_pending_job_age_seconds", factory: self.factory)
            .record(oldestPending.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }

    /// The Prometheus text exposition of everything above.
    package func exposition() -> [UInt8] {
        self.registry.emitToBuffer()
    }
}
