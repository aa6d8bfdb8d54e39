import AsyncHTTPClient
import NIOHTTP1
import PushRelayCore
import PushRelayServer
import PushRelayTestSupport
import Testing

/// The ref advertisement reader against Git itself: real repositories served by `git http-backend` over
/// loopback HTTP, read as PushRelay reads them, compared line for line with `git ls-remote`.
struct RefAdvertisementGitTests {
    @Test func theReaderAgreesWithGitLsRemoteOnEveryRefAnnotatedTagsIncluded() async throws {
        let repository = try GitRepository()
        let host = GitHostStandIn()
        try repository.commit(["envs/prod/main.tf": "a"])
        try repository.tag("v1.0.0", annotated: true)
        try repository.commit(["README.md": "b"], on: "feature/x")
        try repository.tag("light", annotated: false)
        try repository.commit(["envs/prod/main.tf": "c"], on: "main")
        host.serve(repository, at: "/acme/infra.git")
        try await host.whileRunning { url in
            let exchange = HTTPExchange(client: HTTPClient.shared, peer: "git", maxBody: RefAdvertisement.maxBytes)
            let answer = try await exchange.send(
                .GET,
                url: url + "/acme/infra.git/info/refs?service=git-upload-pack",
                headers: []
            )
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "content-type") == "application/x-git-upload-pack-advertisement")
            let read = try RefAdvertisement(parsing: answer.body)
            let expected = try repository.lsRemote()
            #expect(read.refs.map { "\($0.object) \($0.name)" } == expected.map { "\($0.object) \($0.name)" })
            #expect(read.refs.contains { $0.name == "refs/tags/v1.0.0^{}" })
            #expect(
                Set(read.heads.keys) == [
                    "refs/heads/main", "refs/heads/feature/x", "refs/tags/v1.0.0", "refs/tags/light",
                ]
            )
        }
    }
}
