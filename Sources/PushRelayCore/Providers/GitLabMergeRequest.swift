/// GitLab's `Merge Request Hook` payload (also a system hook's `merge_request` event): what a plan needs.
struct GitLabMergeRequest: Decodable {
    struct Attributes: Decodable {
        struct Commit: Decodable {
            var id: String?
        }

        var iid: Int?
        var action: String?
        var source_branch: String?
        var target_branch: String?
        var source_project_id: Int?
        var target_project_id: Int?
        var last_commit: Commit?
        /// Set on an `update` that pushed new commits: the head before them.
        var oldrev: String?
        var draft: Bool?
        var work_in_progress: Bool?
    }

    struct Change<Value: Decodable>: Decodable {
        var previous: Value?
        var current: Value?
    }

    struct Changes: Decodable {
        var draft: Change<Bool>?
    }

    var object_attributes: Attributes?
    var changes: Changes?

    static func read(_ body: [UInt8]) throws(PayloadError) -> WebhookEvent.Kind {
        let payload = try PayloadJSON.decode(Self.self, from: body, provider: .gitlab)
        guard let attributes = payload.object_attributes else {
            return .incompletePullRequest("merge request payload has no 'object_attributes': nothing to plan")
        }
        guard let action = attributes.action, !action.isEmpty else {
            // GitLab's system hooks, and GitLab before 9.x, send merge request events without one.
            return .incompletePullRequest(
                "merge request event without an action (a system hook or an older GitLab): nothing to plan"
            )
        }
        guard let number = attributes.iid, let source = attributes.source_branch, let target = attributes.target_branch
        else {
            return .incompletePullRequest(
                "merge request payload lacks its iid, source_branch or target_branch: nothing to plan"
            )
        }
        let notPlanning: String?
        switch action {
        case "open", "reopen": notPlanning = nil
        case "update":
            // An update plans when it brought commits, or took the merge request out of draft.
            let readied = payload.changes?.draft?.previous == true && payload.changes?.draft?.current == false
            notPlanning =
                attributes.oldrev != nil || readied ? nil : "merge request update without new commits does not plan"
        default: notPlanning = PullRequestEvent.notPlanning(action)
        }
        return .pullRequest(
            PullRequestEvent(
                number: number,
                action: action,
                notPlanning: notPlanning,
                sourceBranch: source,
                targetBranch: target,
                headCommit: attributes.last_commit?.id,
                fork: attributes.source_project_id != attributes.target_project_id,
                draft: attributes.draft ?? attributes.work_in_progress ?? false
            )
        )
    }
}
