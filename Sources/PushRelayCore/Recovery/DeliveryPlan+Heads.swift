/// One changed ref of a planned delivery: how its head moves, and which of the plan's jobs it asks for.
package struct PlannedRef: Sendable, Equatable {
    package var move: HeadMove
    /// Indices into ``DeliveryPlan/jobs``; two refs may share a job.
    package var jobs: [Int]
    /// What routing said of this ref.
    package var reason: String
    /// Whether the repository's host can say which of two commits is newer (a `hosts` entry with a
    /// compare API): a push out of order then waits for its word.
    package var orderCheckable: Bool

    package init(move: HeadMove, jobs: [Int], reason: String, orderCheckable: Bool = false) {
        self.move = move
        self.jobs = jobs
        self.reason = reason
        self.orderCheckable = orderCheckable
    }
}

extension DeliveryPlan {
    /// The plan as the remembered heads leave it (SPEC section 12's "once per commit, and never
    /// backwards"), and the heads to remember after it. The one place the rule is applied: every store calls
    /// it inside the transaction that writes the plan, with the heads it read there.
    ///
    /// A ref whose head is already its commit asks for nothing (the delivery is still `queue`, answered
    /// `202` with no jobs and the reason); a ref that moves from where its head is (or that no head is
    /// remembered for) moves the head; any other came out of order: its work waits in an ``OrderCheck``
    /// for the host to say whether it is newer (a deletion, which no compare can place, is queued), and the
    /// head stays.
    /// - Parameter remembered: the remembered head of each of the plan's refs that has one.
    package func settled(remembered: [HeadKey: String]) -> (plan: DeliveryPlan, heads: [HeadKey: String]) {
        guard !self.refs.isEmpty else { return (self, [:]) }
        var current = remembered
        var heads: [HeadKey: String] = [:]
        var dropped = Set<Int>()
        var kept = Set<Int>()
        var checks: [(jobs: [Int], check: OrderCheck)] = []
        var reasons: [String] = []
        for ref in self.refs {
            let reason: String
            switch ref.move.verdict(remembered: current[ref.move.key]) {
            case .new:
                current[ref.move.key] = ref.move.after
                heads[ref.move.key] = ref.move.after
                kept.formUnion(ref.jobs)
                reason = ref.reason
            case .seen:
                dropped.formUnion(ref.jobs)
                reason =
                    ref.jobs.isEmpty
                    ? ref.reason
                    : ref.move.after == HeadMove.deleted
                        ? "already queued: \(ref.move.ref) deleted" : "already queued for \(ref.move.after)"
            case .unordered(let head)
            where ref.move.after == HeadMove.deleted || ref.jobs.isEmpty || !ref.orderCheckable:
                kept.formUnion(ref.jobs)
                let why = ref.orderCheckable ? "" : "; no 'hosts' entry with a compare API to check it"
                reason =
                    ref.jobs.isEmpty
                    ? ref.reason
                    : "\(ref.reason) (out of order: \(ref.move.ref) was at \(head), not \(ref.move.before ?? "none")\(why))"
            case .unordered(let head):
                dropped.formUnion(ref.jobs)
                let check = OrderCheck(
                    repository: ref.move.repository,
                    ref: ref.move.ref,
                    commit: ref.move.after,
                    remembered: head,
                    held: []
                )
                checks.append((ref.jobs, check))
                reason =
                    "out of order: \(ref.move.ref) is at \(head); queued once the host says \(ref.move.after) is newer"
            }
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        let removed = dropped.subtracting(kept)
        guard !removed.isEmpty || reasons.joined(separator: "; ") != self.record.reason else { return (self, heads) }
        // Each check holds the work of its jobs that no settled ref keeps.
        var held: [NewWork] = []
        for (jobs, check) in checks {
            var check = check
            let own = Set(jobs).intersection(removed)
            check.held = zip(self.work, self.workJobs).filter { own.contains($0.1) }.map { HeldWork($0.0) }
            if !check.held.isEmpty { held.append(check.work) }
        }
        var plan = self
        var positions: [Int: Int] = [:]
        plan.jobs = []
        for (index, job) in self.jobs.enumerated() where !removed.contains(index) {
            positions[index] = plan.jobs.count
            plan.jobs.append(job)
        }
        plan.work = []
        plan.workJobs = []
        for (item, job) in zip(self.work, self.workJobs) where !removed.contains(job) {
            plan.work.append(item)
            plan.workJobs.append(positions[job] ?? job)
        }
        // A check serves no job of the plan's: its jobs are not counted until the host has answered.
        plan.work += held
        plan.workJobs += Array(repeating: -1, count: held.count)
        plan.refs = self.refs.map { ref in
            var ref = ref
            ref.jobs = ref.jobs.compactMap { positions[$0] }
            return ref
        }
        // Still `queue`: what it asked for is queued, by the delivery that came first.
        plan.record.reason = reasons.joined(separator: "; ")
        return (plan, heads)
    }

    /// The keys of the plan's refs, sorted (the order stores lock them in).
    package var headKeys: [HeadKey] { Set(self.refs.map(\.move.key)).sorted() }
}
