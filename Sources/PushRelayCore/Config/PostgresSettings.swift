import Foundation

/// Where the PostgreSQL store is, from a `postgres://user:password@host:port/database?sslmode=…` URL.
/// The URL is a secret (it holds the password): no description, debug description or reflection shows it.
package struct PostgresSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The URL's `sslmode`. `prefer` and `allow` are refused: they fall back to plain text silently.
    package enum TLSMode: String, Sendable, Equatable {
        case disable
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var tls: TLSMode
    /// `sslrootcert`: the CA certificates (PEM) that verify the server; the system's when absent.
    package var rootCertificateFile: String?
    /// Wake other replicas at once with NOTIFY when jobs are queued; off behind PgBouncer's transaction mode.
    package var notify: Bool = true
    /// Most connections this process opens for its pool (the LISTEN connection is one more).
    package var poolSize: Int = 10

    /// - Returns: `nil` and the reason when `text` is not a usable URL.
    package static func parse(_ text: String) -> Result<PostgresSettings, URLProblem> {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else { return .failure(URLProblem("must be a postgres:// URL (postgres://user:password@host:5432/database)")) }
        guard let host = url.host, !host.isEmpty else { return .failure(URLProblem("names no host")) }
        guard let user = url.user, !user.isEmpty else { return .failure(URLProblem("names no user")) }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(URLProblem("names no database (…/DATABASE after the host)"))
        }
        var settings = PostgresSettings(
            host: host,
            port: url.port ?? 5432,
            user: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database,
            tls: .disable
        )
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let value = item.value ?? ""
                guard let mode = TLSMode(rawValue: value) else {
                    let hint =
                        ["prefer", "allow"].contains(value)
                        ? "'\(value)' falls back to plain text without a word; use require, verify-full or disable"
                        : "'\(value)' is not one of disable, require, verify-ca, verify-full"
                    return .failure(URLProblem("sslmode \(hint)"))
                }
                settings.tls = mode
            case "sslrootcert":
                settings.rootCertificateFile = item.value
            default:
                return .failure(URLProblem("has the parameter '\(item.name)', which PushRelay does not use"))
            }
        }
        return .success(settings)
    }

    /// Whether the server is on this machine, where plain text is no exposure.
    package var isLoopback: Bool {
        ["localhost", "127.0.0.1", "::1", "[::1]"].contains(self.host.lowercased()) || self.host.hasPrefix("127.")
    }

    package var description: String {
        "postgres://\(self.user)@\(self.host):\(self.port)/\(self.database) (sslmode \(self.tls.rawValue))"
    }
    package var debugDescription: String { self.description }
    package var customMirror: Mirror { Mirror(self, children: ["url": self.description]) }

    /// What is wrong with a URL, without the URL (it may hold a password).
    package struct URLProblem: Error, Equatable {
        package var message: String

        init(_ message: String) { self.message = message }
    }
}

/// Which store `serve` and `deliveries` use.
package enum StoreSettings: Sendable, Equatable, CustomStringConvertible {
    /// The embedded default, for one process: the file's path.
    case sqlite(String)
    /// Shared by any number of replicas.
    case postgres(PostgresSettings)

    /// The SQLite file, for the SQLite store.
    package var sqlitePath: String? {
        guard case .sqlite(let path) = self else { return nil }
        return path
    }

    package var description: String {
        switch self {
        case .sqlite(let path): "sqlite \(path)"
        case .postgres(let settings): settings.description
        }
    }
}
