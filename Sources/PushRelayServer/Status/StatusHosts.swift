import AsyncHTTPClient
import PushRelayCore

/// Each `status.hosts` entry's settings and credentials, made once: its posts and its commit lookups
/// share them (and a GitHub App's tokens). Throws when a GitHub App's key cannot be read.
struct StatusHosts {
    var hosts: [String: HostCommitResolver.Host] = [:]
    var exchange: HTTPExchange

    init(_ settings: ServiceSettings, client: HTTPClient) throws {
        self.exchange = HTTPExchange(client: client, peer: "the Git host")
        guard settings.status != nil, settings.terrakube.uiURL != nil else { return }
        for (host, entry) in settings.status?.hosts ?? [:] {
            let credentials = try StatusCredentials.of(entry, exchange: self.exchange)
            self.hosts[host] = HostCommitResolver.Host(settings: entry, credentials: credentials)
        }
    }

    var commitResolver: HostCommitResolver { HostCommitResolver(hosts: self.hosts, exchange: self.exchange) }
}
