import Foundation
import PushRelayCore
import Testing

/// A pull request's changed files as each host lists them, and what they decide (SPEC section 13).
struct PullRequestFilesTests {
    static func read(
        _ kind: GitHostKind,
        _ json: String,
        status: Int = 200,
        link: String? = nil
    ) -> PullRequestFiles.Page? {
        try? PullRequestFiles.read(kind: kind, status: status, body: Array(json.utf8), link: link).get()
    }

    @Test func eachKindsListIsRead() {
        #expect(
            Self.read(
                .github,
                #"[{"filename": "envs/a.tf", "status": "renamed", "previous_filename": "old/a.tf"}]"#,
                link: #"<https://api.github.com/repositories/1/pulls/2/files?page=2>; rel="next""#
            ) == .files(["envs/a.tf", "old/a.tf"], next: "https://api.github.com/repositories/1/pulls/2/files?page=2")
        )
        #expect(
            Self.read(.gitlab, #"[{"old_path": "a", "new_path": "b", "diff": ""}]"#) == .files(["b", "a"], next: nil)
        )
        #expect(
            Self.read(
                .bitbucketCloud,
                #"{"values": [{"new": {"path": "n"}, "old": null}], "next": "https://x/p?page=2"}"#
            )
                == .files(["n"], next: "https://x/p?page=2")
        )
        #expect(
            Self.read(
                .bitbucketServer,
                #"{"values": [{"path": {"toString": "p"}, "srcPath": {"toString": "s"}}], "isLastPage": true}"#
            )
                == .files(["p", "s"], next: nil)
        )
        #expect(Self.read(.bitbucketServer, #"{"values": [], "isLastPage": false}"#) == nil)
        #expect(Self.read(.azureDevOps, #"{"value": [{"id": 1}, {"id": 3}, {"id": 2}], "count": 3}"#) == .iteration(3))
        #expect(
            Self.read(
                .azureDevOps,
                #"{"changeEntries": [{"item": {"path": "/envs/a.tf"}, "originalPath": "/old/a.tf"}, {"item": {"path": "/envs", "isFolder": true}}]}"#
            ) == .files(["envs/a.tf", "old/a.tf"], next: nil)
        )
        #expect(Self.read(.github, #"{"message": "Not Found"}"#, status: 404) == nil)
        #expect(Self.read(.github, #"{"message": "odd"}"#) == nil)
        #expect(Self.read(.gogs, "[]") == nil)
    }

    @Test func theRequestsAreTheHostsDocumentedPaths() {
        let url = { (kind: GitHostKind, repository: String, api: String) in
            PullRequestFiles.request(kind: kind, repository: repository, number: 7, apiURL: api, token: nil)?.url
        }
        #expect(
            url(.github, "o/r", "https://api.github.com")
                == "https://api.github.com/repos/o/r/pulls/7/files?per_page=100"
        )
        #expect(
            url(.gitlab, "g/p", "https://gl/api/v4")
                == "https://gl/api/v4/projects/g%2Fp/merge_requests/7/diffs?per_page=100"
        )
        #expect(url(.gitea, "o/r", "https://gt/api/v1") == "https://gt/api/v1/repos/o/r/pulls/7/files?limit=50")
        #expect(
            url(.bitbucketCloud, "w/r", "https://api.bitbucket.org/2.0")
                == "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests/7/diffstat?pagelen=500"
        )
        #expect(
            url(.bitbucketServer, "PRJ/repo", "https://bb")
                == "https://bb/rest/api/latest/projects/PRJ/repos/repo/pull-requests/7/changes?limit=1000"
        )
        #expect(
            url(.azureDevOps, "org/proj/repo", "https://dev.azure.com")
                == "https://dev.azure.com/org/proj/_apis/git/repositories/repo/pullRequests/7/iterations?api-version=7.1"
        )
        #expect(url(.gogs, "o/r", "https://gogs") == nil)
    }

    @Test func theFilesDecideWhichPlansRun() {
        let plan = { (name: String, paths: [String]) in
            ChangedFilesCheck.Plan(
                workspace: name,
                paths: paths,
                held: [HeldWork(WorkType<String>("test.plan").work(name))],
                noChanges: HeldWork(WorkType<String>("test.status").work("no changes for \(name)"))
            )
        }
        let check = ChangedFilesCheck(
            repository: "github.com/o/r",
            number: 1,
            plans: [plan("prod", ["envs/prod/**"]), plan("dev", ["envs/dev/**", "!envs/dev/README.md"])]
        )
        let prodOnly = check.decide(files: ["envs/prod/main.tf", "envs/dev/README.md"])
        #expect(prodOnly.planned == ["prod"])
        #expect(prodOnly.untouched == ["dev"])
        #expect(prodOnly.work.map(\.kind.rawValue) == ["test.plan", "test.status"])
        #expect(check.decide(files: []).planned.isEmpty)
        #expect(check.everyPlan.count == 2)
    }
}
