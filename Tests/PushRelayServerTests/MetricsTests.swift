import Foundation
import PushRelayCore
import PushRelayFixtures
import PushRelayTestSupport
import Testing

/// `GET /metrics` after a scripted set of deliveries: the counts an operator would graph.
@Suite(.timeLimit(.minutes(2)))
struct MetricsTests {
    @Test func scrapeCountsDeliveriesJobsAndTerrakubeCalls() async throws {
        try await RelayHarness.run { relay in
            let push = Fixture.load("github", "go-scm-push").body
            let next = RelayHarness.githubPush(after: String(repeating: "b", count: 40))
            let ping = Fixture.load("github", "octokit-ping").body
            for (id, body) in [("m-1", push), ("m-2", next), ("m-1", push)] {
                _ = try await relay.post("/hooks/github", headers: RelayHarness.github(body, delivery: id), body: body)
            }
            let forged = RelayHarness.github(push, delivery: "m-3", secret: "wrong")
            #expect(try await relay.post("/hooks/github", headers: forged, body: push).status == 401)
            let pinged = RelayHarness.github(ping, event: "ping", delivery: "m-4", secret: "default-secret")
            #expect(try await relay.post("/hooks/github", headers: pinged, body: ping).status == 200)
            #expect(try await relay.get("/hooks/github").status == 405)
            #expect(try await relay.post("/hooks/svn", headers: [], body: push).status == 404)
            // Both jobs' outcomes are counted once recorded; wait on the counter itself, not on the stand-in.
            #expect(
                try await eventually {
                    let metrics = try PrometheusText(try await relay.get("/metrics").text)
                    return metrics[
                        "pushrelay_work_attempts_total",
                        ["kind": "terrakube.create-job", "result": "created"]
                    ] == 2
                }
            )

            let scrape = try await relay.get("/metrics")
            #expect(scrape.status == 200)
            let metrics = try PrometheusText(scrape.text)
            let deliveries = { (provider: String, outcome: String, status: String) in
                metrics["pushrelay_deliveries_total", ["provider": provider, "outcome": outcome, "status": status]]
            }
            #expect(deliveries("github", "queued", "202") == 2)
            #expect(deliveries("github", "duplicate", "200") == 1)
            #expect(deliveries("github", "rejected", "401") == 1)
            #expect(deliveries("github", "ignored", "200") == 1)
            #expect(deliveries("github", "rejected", "405") == 1)
            #expect(deliveries("unknown", "rejected", "404") == 1)
            #expect(metrics.types["pushrelay_deliveries_total"] == "counter")

            #expect(
                metrics["pushrelay_work_attempts_total", ["kind": "terrakube.create-job", "result": "created"]] == 2
            )
            #expect(metrics["pushrelay_terrakube_responses_total", ["operation": "create", "status": "201"]] == 2)
            #expect(metrics["pushrelay_terrakube_request_duration_seconds_count", ["operation": "create"]] == 2)
            #expect(metrics.types["pushrelay_terrakube_request_duration_seconds"] == "histogram")
            #expect(metrics["pushrelay_work", ["kind": "terrakube.create-job", "state": "done"]] == 2)
            #expect(metrics["pushrelay_work", ["kind": "terrakube.create-job", "state": "pending"]] == 0)
            #expect(metrics["pushrelay_queue_depth", ["kind": "terrakube.create-job"]] == 0)
            #expect(metrics["pushrelay_oldest_unfinished_work_age_seconds", ["kind": "terrakube.create-job"]] == 0)
            #expect(metrics["pushrelay_build_info", ["version": PushRelayVersion.current]] == 1)
            #expect(metrics["pushrelay_config_reloads_total", ["result": "failure"]] == 0)
            // Bounded labels: no delivery id, repository or ref in any series.
            for key in metrics.samples.keys {
                #expect(!key.contains("m-1") && !key.contains("hello-world") && !key.contains("master"), "\(key)")
            }
        }
    }

    /// Jobs waiting on a Terrakube that refuses connections show as queue depth and age.
    @Test func queueDepthAndAgeWhileTerrakubeIsDown() async throws {
        // Retries far apart: the job stays pending for the whole test, whatever the jitter draws.
        let patient = RetryPolicy(baseDelay: .seconds(30), maxDelay: .seconds(30), maxAttempts: 1000)
        try await RelayHarness.run(terrakubeURL: "http://127.0.0.1:9", retry: patient) { relay in
            let push = Fixture.load("github", "go-scm-push").body
            #expect(
                try await relay.post("/hooks/github", headers: RelayHarness.github(push, delivery: "q-1"), body: push)
                    .status == 202
            )
            // The first attempt's outcome is counted once it is recorded; wait for it rather than guess.
            #expect(
                try await eventually {
                    let metrics = try PrometheusText(try await relay.get("/metrics").text)
                    return
                        (metrics["pushrelay_work_attempts_total", ["kind": "terrakube.create-job", "result": "retry"]]
                        ?? 0) >= 1
                }
            )
            // The oldest job's age grows with time: poll until it shows at least 0.2 s.
            #expect(
                try await eventually {
                    let metrics = try PrometheusText(try await relay.get("/metrics").text)
                    return
                        (metrics["pushrelay_oldest_unfinished_work_age_seconds", ["kind": "terrakube.create-job"]] ?? 0)
                        >= 0.2
                }
            )
            let metrics = try PrometheusText(try await relay.get("/metrics").text)
            #expect(metrics["pushrelay_queue_depth", ["kind": "terrakube.create-job"]] == 1)
            #expect(
                (metrics["pushrelay_oldest_unfinished_work_age_seconds", ["kind": "terrakube.create-job"]] ?? 0) >= 0.2
            )
            #expect(
                (metrics["pushrelay_terrakube_responses_total", ["operation": "create", "status": "none"]] ?? 0) >= 1
            )
            #expect(
                (metrics["pushrelay_work_attempts_total", ["kind": "terrakube.create-job", "result": "retry"]] ?? 0)
                    >= 1
            )
        }
    }
}
