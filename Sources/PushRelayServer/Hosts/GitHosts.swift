import AsyncHTTPClient
import PushRelayCore

/// Each `hosts` entry's settings and credentials, made once: its status posts, its commit lookups and its
/// recovery rounds share them (and a GitHub App's tokens). Throws when a GitHub App's key cannot be read.
package struct GitHosts: Sendable {
    package struct Entry: Sendable {
        var settings: GitHost
        var credentials: HostCredentials
    }

    var entries: [String: Entry] = [:]
    var exchange: HTTPExchange

    package init(_ settings: ServiceSettings, client: HTTPClient) throws {
        self.exchange = HTTPExchange(client: client, peer: "the Git host")
        for (host, entry) in settings.hosts {
            self.entries[host] = Entry(
                settings: entry,
                credentials: try HostCredentials.of(entry, exchange: self.exchange)
            )
        }
    }

    var commitResolver: HostCommitResolver { HostCommitResolver(hosts: self.entries, exchange: self.exchange) }
}
