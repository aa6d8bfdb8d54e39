import Foundation
import PushRelayCore

/// Resolves abbreviated commits through the Git host's API, with its `hosts` entry's credentials: Bitbucket Cloud, whose pull request payloads abbreviate the head commit, is the one host that
/// needs it.
struct HostCommitResolver: CommitResolving {
    var hosts: [String: GitHosts.Entry]
    var exchange: HTTPExchange

    func fullSHA(of commit: AbbreviatedCommit) async throws -> String? {
        guard let host = self.hosts[commit.host], host.settings.kind == .bitbucketCloud else { return nil }
        let token = try await host.credentials.token(for: commit.repository)
        let answer = try await self.exchange.send(
            BitbucketCloudStatus.commitRequest(
                repository: commit.repository,
                hash: commit.hash,
                apiURL: host.settings.apiURL,
                token: token
            )
        )
        switch answer.status {
        case 200..<300: return BitbucketCloudStatus.fullHash(in: answer.body, abbreviated: commit.hash)
        case 408, 429, 500...: throw HostUnavailable(status: answer.status)
        default: return nil  // refused or unknown: sent without `commitId` rather than never
        }
    }
}

struct HostUnavailable: Error, CustomStringConvertible {
    var status: Int
    var description: String { "HTTP \(self.status)" }
}
