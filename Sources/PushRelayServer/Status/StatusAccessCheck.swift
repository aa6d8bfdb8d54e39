import AsyncHTTPClient
import PushRelayCore

/// `check --online` for statuses: one read of each repository whose jobs are shown on its commits, with
/// the credentials its posts would use. A repository they cannot read is a problem of its file, naming
/// the host and the host's answer; the token itself is never part of it.
package func checkStatusAccess(_ config: RelayConfig) async -> (checked: Int, problems: [ConfigProblem]) {
    let repositories = config.repositories.compactMap { repository in
        config.settings.statusHost(for: repository).flatMap { host in host.statusKind.map { (repository, host, $0) } }
    }
    guard !repositories.isEmpty else { return (0, []) }
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let exchange = HTTPExchange(client: client, peer: "the Git host")
    var credentials: [String: HostCredentials] = [:]
    var problems: [ConfigProblem] = []
    for (repository, host, kind) in repositories {
        let name = repository.identity.host
        let path = repository.identity.spelledPath
        let problem = { (message: String) in
            ConfigProblem(file: repository.file, line: nil, message: "statuses on \(name): \(message)")
        }
        do {
            if credentials[name] == nil { credentials[name] = try HostCredentials.of(host, exchange: exchange) }
            let token = try await credentials[name]!.token(for: path)
            let answer = try await exchange.send(
                kind.api.readRequest(repository: path, apiURL: host.apiURL, token: token)
            )
            switch answer.verdict(kind) {
            case .posted:
                continue
            case .refused(let reason), .retry(_, let reason):
                let who = host.app == nil ? "the token" : "the GitHub App's installation token"
                problems.append(problem("\(who) cannot read \(path): \(reason)"))
            }
        } catch {
            problems.append(problem("cannot check \(path): \(error)"))
        }
    }
    try? await client.shutdown()
    return (repositories.count, problems)
}
