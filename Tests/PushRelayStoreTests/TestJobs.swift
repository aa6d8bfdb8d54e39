import PushRelayCore

// The store suites queue work of a kind of their own: the queue knows no kind, and its rules are the same
// for all. Its payload is a job's fields, so that a test can tell items apart by what they are for, and
// its results are unique, as a Terrakube job id is.

extension WorkKind {
    static let testJob: WorkKind = "test.job"
}

extension WorkType<JobSpec> {
    static var testJob: Self { Self(.testJob, uniqueResults: true) }
}

extension WorkQueue {
    /// Claims due test jobs.
    func claimJobs(owner: String, limit: Int, lease: Duration) async throws -> [ClaimedWork] {
        try await self.claim(owner: owner, kinds: [.testJob], limit: limit, lease: lease)
    }
}

extension QueueFigures {
    /// Test jobs by state.
    func testJobCounts() async throws -> [WorkState: Int] {
        try await self.workCounts()[.testJob] ?? [:]
    }
}

extension DeliveryInspector {
    /// A delivery's test jobs.
    func testJobs(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord] {
        try await self.work(provider: provider, deliveryID: deliveryID).filter { $0.kind == .testJob }
    }
}

extension WorkRecord {
    var job: JobSpec? { try? WorkType.testJob.payload(self.payload) }
}

extension ClaimedWork {
    var job: JobSpec? { try? WorkType.testJob.payload(self.payload) }
}

/// How a test job ends.
enum TestOutcome {
    /// Done, with `result` recorded.
    static func done(_ result: String, label: DoneLabel = .created) -> WorkOutcome {
        .done(result: result, label: label, detail: "result \(result)")
    }
}
