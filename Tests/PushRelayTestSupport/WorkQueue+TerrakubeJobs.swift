import PushRelayCore

// The queue seen as Terrakube job creations, which is what most tests look at.

extension WorkQueue {
    /// Claims due Terrakube job creations.
    package func claim(owner: String, limit: Int, lease: Duration) async throws -> [ClaimedWork] {
        try await self.claim(owner: owner, kinds: [.createTerrakubeJob], limit: limit, lease: lease)
    }
}

extension QueueFigures {
    /// Terrakube job creations by state.
    package func jobCounts() async throws -> [WorkState: Int] {
        try await self.workCounts()[.createTerrakubeJob] ?? [:]
    }
}

extension DeliveryInspector {
    /// A delivery's Terrakube job creations.
    package func jobs(provider: ProviderKind, deliveryID: String) async throws -> [WorkRecord] {
        try await self.work(provider: provider, deliveryID: deliveryID).filter { $0.kind == .createTerrakubeJob }
    }
}

extension WorkRecord {
    /// The job a Terrakube job creation is for (a spec no test expects when the payload is unreadable).
    package var spec: JobSpec { JobSpec.decoded(self.payload) }

    package var terrakubeJobID: String? { self.result }
}

extension ClaimedWork {
    package var spec: JobSpec { JobSpec.decoded(self.payload) }
}

extension JobSpec {
    fileprivate static func decoded(_ payload: [UInt8]) -> JobSpec {
        (try? WorkType.createTerrakubeJob.payload(payload).spec)
            ?? JobSpec(
                organization: "",
                workspace: "<unreadable payload>",
                template: "",
                overrideBranch: "",
                commitID: "",
                via: ""
            )
    }
}
