/// Creates jobs in Terrakube. The REST implementation lives with the HTTP client; tests may use another.
package protocol TerrakubeAPI: Sendable {
    /// - Returns: Terrakube's job id (`data.id` of its `201`).
    func createJob(_ job: JobSpec) async throws(TerrakubeFailure) -> String
}

/// Why a job could not be created, sorted by what the dispatcher should do about it.
package enum TerrakubeFailure: Error, Equatable, CustomStringConvertible {
    /// Unreachable, timed out, `5xx` or `429`: try again later, not before `retryAfter` when given.
    case retryable(status: Int?, reason: String, retryAfter: Duration?)
    /// Any other `4xx`: retrying cannot help. `detail` is Terrakube's `errors[0].detail` when it sent one.
    case permanent(status: Int, detail: String)

    package var description: String {
        switch self {
        case .retryable(let status, let reason, _): status.map { "HTTP \($0): \(reason)" } ?? reason
        case .permanent(let status, let detail): "HTTP \(status): \(detail)"
        }
    }
}
