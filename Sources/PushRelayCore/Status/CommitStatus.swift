/// Where a job stands, as its commit status tells it: what PushRelay knows of it, and then what
/// Terrakube says (SPEC section 10).
package enum JobProgress: Sendable, Equatable {
    /// Queued in PushRelay; not yet created in Terrakube.
    case queued
    /// Created in Terrakube, with this state as Terrakube names it (`pending`, `running`, …).
    case terrakube(jobID: String, state: String)
    /// Terrakube refused the job (a `4xx`), or PushRelay gave up after its attempts: the reason.
    case refused(String)
    /// Not finished after 6 hours (Terrakube fails it then itself).
    case expired(jobID: String)
    /// Terrakube no longer has it (deleted, or another database).
    case missing(jobID: String)

    /// Terrakube's states that end a job; anything else may still change.
    package static let terminalStates: Set<String> = ["completed", "failed", "rejected", "cancelled", "noChanges"]

    /// Whether nothing more will happen to the job.
    package var isFinal: Bool {
        switch self {
        case .queued: false
        case .terrakube(_, let state): Self.terminalStates.contains(state)
        case .refused, .expired, .missing: true
        }
    }
}

/// A commit status in GitHub's words, before a host kind translates it.
package struct CommitStatus: Sendable, Equatable, Codable {
    package enum State: String, Sendable, Codable {
        case pending
        case success
        case failure
        case error
    }

    package var state: State
    /// At most ``maxDescription`` characters, none outside the Basic Multilingual Plane.
    package var description: String
    /// The run's page in Terrakube's UI, once there is a Terrakube job.
    package var targetURL: String?
    /// Terrakube's own state when the job exists there (`running`, `waitingApproval`, …): a host with
    /// finer states than GitHub's (GitLab's `running`) uses it.
    package var terrakubeState: String?

    /// GitHub answers `422` for a longer description; the other hosts take it too.
    package static let maxDescription = 140

    package init(state: State, description: String, targetURL: String? = nil, terrakubeState: String? = nil) {
        self.state = state
        self.description = Self.clamped(description)
        self.targetURL = targetURL
        self.terrakubeState = terrakubeState
    }

    /// The status SPEC section 10 gives for where the job stands; `runURL` links a Terrakube job's run.
    package init(_ progress: JobProgress, runURL: (String) -> String?) {
        switch progress {
        case .queued:
            self.init(state: .pending, description: "Queued")
        case .refused(let reason):
            self.init(state: .error, description: reason)
        case .expired(let id):
            self.init(state: .error, description: "Terrakube job \(id): no result after 6 h", targetURL: runURL(id))
        case .missing(let id):
            self.init(state: .error, description: "Terrakube job \(id): no longer in Terrakube")
        case .terrakube(let id, let terrakube):
            let (state, words): (State, String) =
                switch terrakube {
                case "running": (.pending, "running")
                case "waitingApproval": (.pending, "waiting for approval")
                case "completed", "noChanges": (.success, "completed")
                case "failed": (.failure, "failed")
                case "rejected": (.failure, "rejected")
                case "cancelled": (.error, "cancelled")
                // `pending`, `queue`, `approved` and any state Terrakube may add: it is not finished.
                default: (.pending, "queued")
                }
            self.init(
                state: state,
                description: "Terrakube job \(id): \(words)",
                targetURL: runURL(id),
                terrakubeState: terrakube
            )
        }
    }

    /// Cut to ``maxDescription`` characters (Unicode scalars, as GitHub counts), with each scalar outside
    /// the Basic Multilingual Plane (an emoji: GitHub refuses them) replaced by U+FFFD and each control
    /// character by a space.
    package static func clamped(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalars.count == Self.maxDescription { break }
            if scalar.value > 0xFFFF {
                scalars.append("\u{FFFD}")
            } else if scalar.properties.generalCategory == .control {
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > Self.maxDescription {
            scalars.removeLast()
            scalars.append("…")
        }
        return String(scalars)
    }
}
