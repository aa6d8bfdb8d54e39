/// A pull request's plans for routes with `paths`, held until the host lists the pull request's changed
/// files (SPEC section 13): no payload lists them, and the webhook is not kept waiting for the host. An
/// item of work of the host's own kind (`pull-request.files/{host}`), so that a slow host delays neither
/// another host nor job creation.
package struct ChangedFilesCheck: Sendable, Equatable, Codable {
    /// One workspace's plan, and what shows on the commit when the pull request does not touch its paths.
    package struct Plan: Sendable, Equatable, Codable {
        /// As the status and `deliveries show` name it.
        package var workspace: String
        /// The route's `paths`, as written.
        package var paths: [String]
        /// The plan's creation and its first status.
        package var held: [HeldWork]
        /// `success` "No changes for {workspace}" on the head commit; `nil` without statuses.
        package var noChanges: HeldWork?

        package init(workspace: String, paths: [String], held: [HeldWork], noChanges: HeldWork?) {
            self.workspace = workspace
            self.paths = paths
            self.held = held
            self.noChanges = noChanges
        }
    }

    /// The repository's normalised identity.
    package var repository: String
    package var number: Int
    package var plans: [Plan]

    package init(repository: String, number: Int, plans: [Plan]) {
        self.repository = repository
        self.number = number
        self.plans = plans
    }

    package static func type(host: String) -> WorkType<ChangedFilesCheck> {
        WorkType(WorkKind(rawValue: Self.kindPrefix + host))
    }

    /// Whether `kind` is a changed-files check (of any host).
    package static func isCheck(_ kind: WorkKind) -> Bool { kind.rawValue.hasPrefix(Self.kindPrefix) }

    private static let kindPrefix = "pull-request.files/"

    /// What the files ask for: each plan whose `paths` match one of them is queued, and each other plan's
    /// "No changes" status is posted.
    package func decide(files: [String]) -> (work: [NewWork], planned: [String], untouched: [String]) {
        var work: [NewWork] = []
        var planned: [String] = []
        var untouched: [String] = []
        for plan in self.plans {
            // A pattern the config took cannot fail to parse; if it did, planning is the safe side.
            let touched = (try? PatternSet(plan.paths)).map { paths in files.contains(where: paths.matches) } ?? true
            if touched {
                work += plan.held.map(\.work)
                planned.append(plan.workspace)
            } else {
                work += plan.noChanges.map { [$0.work] } ?? []
                untouched.append(plan.workspace)
            }
        }
        return (work, planned, untouched)
    }

    /// Every plan, for when the files cannot be had (no credentials, a refusal, over the host's cap): the
    /// rule for unknown changed files.
    package var everyPlan: [NewWork] { self.plans.flatMap { $0.held.map(\.work) } }
}
