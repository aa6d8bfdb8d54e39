import Foundation
import Logging
import PushRelayCore

/// Writes a plan's section of its pull request's comment (SPEC section 13): its state and run link and,
/// once the job has ended, the summary line read back from Terrakube (sought from the last step back) and,
/// with `comment: full` and never for a fork, its output made plain. A section that changed the comment
/// queues the comment's post; the comment itself is one keyed item per pull request.
struct PlanSectionHandler: WorkHandler {
    let outputs: any PlanOutputSource
    let store: any DocumentStore
    /// Terrakube's UI, for run links; `nil`: none.
    let uiURL: String?
    var retry = RetryPolicy(maxAttempts: 8)

    var type: WorkType<PlanSectionUpdate> { PlanSectionUpdate.type }

    func perform(_ work: ClaimedWork, _ update: PlanSectionUpdate, logger: Logger) async -> WorkOutcome {
        let target = update.target
        var section = PlanSection(workspace: target.workspace, state: update.state, summary: update.error)
        if let ui = self.uiURL, !update.jobID.isEmpty {
            section.runURL =
                "\(ui)/organizations/\(update.organization)/workspaces/\(target.workspaceID)/runs/\(update.jobID)"
        }
        if update.ended {
            do {
                let steps = try await self.outputs.stepOutputs(jobID: update.jobID, organization: update.organization)
                // Terraform colours the summary line too: the colours go before it is sought.
                if let found = PlanOutput.summary(ofSteps: steps.map { PlanOutput.plain($0.tail) }) {
                    section.summary = found.line
                    if target.showsOutput {
                        let step = steps[found.step]
                        var output = PlanOutput.plain(step.head)
                        if step.bytes > step.head.utf8.count {
                            output += "\n(output cut at \(step.head.utf8.count) bytes)"
                        }
                        section.output = output
                    }
                }
            } catch {
                switch error {
                case .retryable(let status, _, let after, _) where work.attempts + 1 < self.retry.maxAttempts:
                    let delay = self.retry.delay(afterAttempts: work.attempts + 1, retryAfter: after)
                    return .retry(status: status, error: error.description, after: delay, outcomeUnknown: false)
                default:
                    // The comment still shows the state and the run link.
                    section.summary = "output unreadable: \(error.description)"
                }
            }
        }
        do {
            guard
                try await self.store.putPlanSection(
                    section,
                    head: target.head,
                    planned: target.planned,
                    of: target.pull
                )
                    != nil
            else {
                return .done(
                    result: nil,
                    label: .done,
                    detail: "\(target.workspace): \(update.state): comment unchanged"
                )
            }
        } catch {
            return .retry(status: nil, error: "store: \(error)", after: .seconds(1), outcomeUnknown: false)
        }
        let post = PlanCommentPost(host: target.host, repository: target.repository, pull: target.pull)
        return .done(result: nil, label: .done, detail: "\(target.workspace): \(update.state)", next: [post.work])
    }
}
