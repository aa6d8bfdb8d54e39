import Foundation
import Testing

@testable import PushRelayCore

/// Each host kind's compare request, and its answer read as newer, older or unknown.
struct CommitOrderTests {
    static let (base, head) = ("b" + String(repeating: "0", count: 39), "h" + String(repeating: "0", count: 39))

    @Test func eachKindAsksItsOwnCompareAPI() throws {
        let cases: [(GitHostKind, String, String, String)] = [
            (
                .github, "acme/infra", "https://api.github.com",
                "https://api.github.com/repos/acme/infra/compare/\(Self.base)...\(Self.head)"
            ),
            (
                .gitea, "acme/infra", "https://git.example.com/api/v1",
                "https://git.example.com/api/v1/repos/acme/infra/compare/\(Self.base)...\(Self.head)"
            ),
            (
                .gitlab, "group/sub/infra", "https://gitlab.com/api/v4",
                "https://gitlab.com/api/v4/projects/group%2Fsub%2Finfra/repository/compare?from=\(Self.base)&to=\(Self.head)"
            ),
            (
                .bitbucketCloud, "acme/infra", "https://api.bitbucket.org/2.0",
                "https://api.bitbucket.org/2.0/repositories/acme/infra/commits/\(Self.head)?exclude=\(Self.base)&pagelen=1"
            ),
            (
                .bitbucketServer, "PRJ/infra", "https://bb.example.com",
                "https://bb.example.com/rest/api/latest/projects/PRJ/repos/infra/commits?since=\(Self.base)&until=\(Self.head)&limit=1"
            ),
            (
                .azureDevOps, "org/project/infra", "https://dev.azure.com",
                "https://dev.azure.com/org/project/_apis/git/repositories/infra/diffs/commits?baseVersion=\(Self.base)&baseVersionType=commit&targetVersion=\(Self.head)&targetVersionType=commit&$top=1&api-version=7.1"
            ),
        ]
        for (kind, repository, api, url) in cases {
            let request = try #require(
                CommitOrder.request(
                    kind: kind,
                    repository: repository,
                    base: Self.base,
                    head: Self.head,
                    apiURL: api,
                    token: APIToken("t")
                )
            )
            #expect(request.url == url, "\(kind)")
            #expect(!request.headers.isEmpty)
        }
        #expect(
            CommitOrder.request(
                kind: .gogs,
                repository: "a/b",
                base: Self.base,
                head: Self.head,
                apiURL: "https://g",
                token: nil
            ) == nil
        )
    }

    @Test func answersAreReadAsNewerOlderOrUnknown() {
        let read = { (kind: GitHostKind, json: String) in
            CommitOrder.read(kind: kind, status: 200, body: Array(json.utf8))
        }
        #expect(read(.github, #"{"status":"behind"}"#) == .older)
        #expect(read(.github, #"{"status":"identical"}"#) == .older)
        #expect(read(.github, #"{"status":"ahead"}"#) == .newer)
        #expect(read(.github, #"{"status":"diverged"}"#) == .newer)
        #expect(read(.gitea, #"{"total_commits":0,"commits":[]}"#) == .older)
        #expect(read(.gitea, #"{"total_commits":2}"#) == .newer)
        #expect(read(.gitlab, #"{"commits":[],"diffs":[]}"#) == .older)
        #expect(read(.gitlab, #"{"commits":[{"id":"x"}]}"#) == .newer)
        #expect(read(.bitbucketCloud, #"{"values":[]}"#) == .older)
        #expect(read(.bitbucketServer, #"{"values":[{"id":"x"}],"size":1}"#) == .newer)
        #expect(read(.azureDevOps, #"{"aheadCount":0,"behindCount":3}"#) == .older)
        #expect(read(.azureDevOps, #"{"aheadCount":1,"behindCount":0}"#) == .newer)
        #expect(read(.github, #"{"message":"Not Found"}"#) == .unknown("the host's compare answer says neither way"))
        #expect(read(.github, "<html>") == .unknown("the host's compare answer is not JSON"))
        #expect(
            CommitOrder.read(kind: .github, status: 404, body: []) == .unknown("the host's compare answered HTTP 404")
        )
    }

    @Test func eachKindsChangedFilesAreReadOrSaidUnknown() throws {
        let read = { (kind: GitHostKind, json: String) in
            CommitChanges.read(kind: kind, status: 200, body: Array(json.utf8))
        }
        #expect(
            try read(.github, #"{"files":[{"filename":"a.tf"},{"filename":"b.tf","previous_filename":"c.tf"}]}"#).get()
                == ["a.tf", "b.tf", "c.tf"]
        )
        #expect(throws: CommitChanges.Unknown.self) {
            try read(
                .github,
                "{\"files\":[" + Array(repeating: #"{"filename":"x"}"#, count: 300).joined(separator: ",") + "]}"
            ).get()
        }
        #expect(
            try read(
                .gitea,
                #"{"commits":[{"files":[{"filename":"a.tf"}]},{"files":[{"filename":"a.tf"},{"filename":"d.md"}]}]}"#
            ).get() == ["a.tf", "d.md"]
        )
        #expect(throws: CommitChanges.Unknown.self) { try read(.gitea, #"{"commits":[{"sha":"x"}]}"#).get() }
        #expect(try read(.gitlab, #"{"diffs":[{"new_path":"n.tf","old_path":"o.tf"}]}"#).get() == ["n.tf", "o.tf"])
        #expect(try read(.bitbucketCloud, #"{"values":[{"new":{"path":"n.tf"},"old":null}]}"#).get() == ["n.tf"])
        #expect(throws: CommitChanges.Unknown.self) {
            try read(.bitbucketCloud, #"{"values":[],"next":"https://x"}"#).get()
        }
        #expect(
            try read(.bitbucketServer, #"{"values":[{"path":{"toString":"a/b.tf"}}],"isLastPage":true}"#).get() == [
                "a/b.tf"
            ]
        )
        #expect(
            try read(
                .azureDevOps,
                #"{"changes":[{"item":{"path":"/envs/x.tf"}},{"item":{"path":"/envs","isFolder":true}}]}"#
            ).get() == ["envs/x.tf"]
        )
        #expect(
            CommitChanges.request(kind: .gogs, repository: "a/b", base: "x", head: "y", apiURL: "https://g", token: nil)
                == nil
        )
    }
}
