/// Decides which jobs a verified push creates, from the repository's routes (a pull request's plans:
/// `RouteMatcher+PullRequest.swift`). Pure: no I/O.
package enum RouteMatcher {
    package struct Outcome: Sendable, Equatable {
        package var jobs: [JobSpec]
        /// Why nothing is queued, or a note on how the jobs were chosen.
        package var reason: String
    }

    /// Head commit message markers that skip a push (when the repository honours them).
    package static let skipMarkers = ["[skip ci]", "[ci skip]", "[skip pushrelay]"]
    private static let skipMarkerBytes = skipMarkers.map { Array($0.utf8) }

    /// The first skip marker `message` contains, in any letter case.
    package static func skipMarker(in message: String) -> String? {
        // An ASCII message (nearly all of them) is searched as bytes: the generic substring search costs
        // more than the rest of routing. Anything else takes the Unicode-aware way, whose lower case of
        // a non-ASCII character can be ASCII (the Kelvin sign's is "k").
        if message.utf8.allSatisfy({ $0 < 0x80 }) {
            var message = message
            let found = message.withUTF8 { text in
                self.skipMarkerBytes.firstIndex { Self.asciiLowercased(text, contains: $0) }
            }
            return found.map { self.skipMarkers[$0] }
        }
        let lowercased = message.lowercased()
        return self.skipMarkers.first(where: lowercased.contains)
    }

    /// Whether the lower case of the ASCII `text` contains `marker` (lower case ASCII).
    private static func asciiLowercased(_ text: UnsafeBufferPointer<UInt8>, contains marker: [UInt8]) -> Bool {
        guard text.count >= marker.count else { return false }
        return (0...(text.count - marker.count)).contains { start in
            marker.indices.allSatisfy { text[start + $0].asciiLowercased == marker[$0] }
        }
    }

    package static func match(
        _ push: PushEvent,
        repository: RepositoryConfig,
        organization: String,
        via: String
    ) -> Outcome {
        guard let overrideBranch = push.ref.overrideBranch else {
            return Outcome(jobs: [], reason: "\(push.ref) is neither a branch nor a tag")
        }
        if push.deleted {
            return self.matchDeletion(
                push,
                repository: repository,
                organization: organization,
                via: via,
                branch: overrideBranch
            )
        }
        guard let commit = push.commit else { return Outcome(jobs: [], reason: "\(push.ref) has no commit") }
        if repository.honorSkipCI, let message = push.headCommitMessage, let marker = self.skipMarker(in: message) {
            return Outcome(jobs: [], reason: "skipped: \(marker) in the head commit message")
        }
        var jobs: [JobSpec] = []
        var pathsUnknown = false
        for route in repository.routes where self.refMatches(route, push.ref) {
            if let paths = route.paths {
                if let files = push.changedFiles {
                    guard files.contains(where: paths.matches) else { continue }
                } else {
                    pathsUnknown = true
                }
            }
            let job = JobSpec(
                organization: organization,
                workspace: route.workspace,
                template: route.template,
                overrideBranch: overrideBranch,
                commitID: commit,
                via: via
            )
            // Two routes naming the same workspace and template create one job.
            if !jobs.contains(job) { jobs.append(job) }
        }
        guard !jobs.isEmpty else {
            return Outcome(jobs: [], reason: "no route matches \(push.ref)")
        }
        var reason = "\(jobs.count) job\(jobs.count == 1 ? "" : "s") for \(push.ref)"
        if pathsUnknown, let why = push.changedFilesUnknownReason {
            reason += "; paths filter matched because the changed files are unknown (\(why))"
        }
        return Outcome(jobs: jobs, reason: reason)
    }

    /// A deleted branch or tag runs only the `on_delete` template of the routes that match it, with the
    /// last commit the ref pointed at; `paths` do not apply (a deletion changes no file).
    private static func matchDeletion(
        _ push: PushEvent,
        repository: RepositoryConfig,
        organization: String,
        via: String,
        branch: String
    ) -> Outcome {
        let what = push.ref.tag != nil ? "tag deleted" : "branch deleted"
        var jobs: [JobSpec] = []
        for route in repository.routes where self.refMatches(route, push.ref) {
            guard let template = route.onDeleteTemplate else { continue }
            let job = JobSpec(
                organization: organization,
                workspace: route.workspace,
                template: template,
                overrideBranch: branch,
                commitID: push.previousCommit ?? "",
                via: via
            )
            if !jobs.contains(job) { jobs.append(job) }
        }
        guard !jobs.isEmpty else { return Outcome(jobs: [], reason: what) }
        return Outcome(jobs: jobs, reason: "\(what): \(jobs.count) on_delete job\(jobs.count == 1 ? "" : "s")")
    }

    /// Branch routes see only branches and tag routes only tags, so `main` the tag never fires `main` the branch.
    private static func refMatches(_ route: Route, _ ref: GitRef) -> Bool {
        switch ref.kind {
        case .branch(let name): route.branches?.matches(name) ?? false
        case .tag(let name): route.tags?.matches(name) ?? false
        case .other: false
        }
    }
}
