import Foundation

/// What a Git host's answer says of its rate limit: one reading for status posts and recovery rounds.
package enum HostRateLimit {
    /// Whether the answer says the limit is spent: `429`, or `403` with none left (GitHub's
    /// `x-ratelimit-remaining`, GitLab's `ratelimit-remaining`).
    package static func isSpent(status: Int, header: (String) -> String?) -> Bool {
        status == 429
            || (status == 403 && (header("x-ratelimit-remaining") == "0" || header("ratelimit-remaining") == "0"))
    }

    /// How long the host asks to be left alone: `Retry-After` (seconds or an HTTP date), else the limit's
    /// reset time (`x-ratelimit-reset`, `ratelimit-reset`: seconds since 1970); `nil` when it does not say.
    package static func wait(header: (String) -> String?, now: Date) -> Duration? {
        if let text = header("retry-after") {
            if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
            if let date = Self.httpDate.date(from: text) {
                return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
            }
        }
        if let reset = (header("x-ratelimit-reset") ?? header("ratelimit-reset")).flatMap(Double.init) {
            return .milliseconds(Int64(max(0, reset - now.timeIntervalSince1970) * 1000))
        }
        return nil
    }

    /// What a host reports it has left, where it does.
    package static func remaining(header: (String) -> String?) -> Int? {
        (header("x-ratelimit-remaining") ?? header("ratelimit-remaining")).flatMap { Int($0) }
    }

    private static let httpDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }()
}
