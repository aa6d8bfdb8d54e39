import Foundation
import PushRelayCore
import Testing

/// The plan comment's pieces (SPEC section 13): the summary line, the output made plain and cut, the
/// comment rendered for each host, and each host's requests.
struct PlanCommentTests {
    static let plan = """
        Terraform will perform the following actions:

          # null_resource.a will be created
          + resource "null_resource" "a" {}

        Plan: 1 to add, 0 to change, 0 to destroy.
        """

    @Test func theSummaryLineIsFoundFromTheLastStepBack() {
        #expect(PlanOutput.summary(of: Self.plan) == "Plan: 1 to add, 0 to change, 0 to destroy.")
        #expect(
            PlanOutput.summary(of: "x\nNo changes. Your infrastructure matches the configuration.\n")?.hasPrefix(
                "No changes."
            ) == true
        )
        #expect(PlanOutput.summary(of: "│ Error: Invalid reference\n│ Error: second\n") == "Error: Invalid reference")
        #expect(PlanOutput.summary(of: "init done\n") == nil)
        // A later step (a cost estimate) without a summary does not hide the plan's.
        let found = PlanOutput.summary(ofSteps: ["Initializing…", Self.plan, "Cost: $3/month"])
        #expect(found?.step == 1)
        #expect(found?.line == "Plan: 1 to add, 0 to change, 0 to destroy.")
    }

    @Test func outputIsMadePlain() {
        let coloured = "\u{1B}[1m\u{1B}[32m+\u{1B}[0m create\r\n\u{1B}]0;title\u{07}bell\u{07}\u{0}end\u{9B}\ttab"
        #expect(PlanOutput.plain(coloured) == "+ create\nbellend\ttab")
    }

    @Test func theCommentNamesTheHeadAndEachWorkspace() {
        let body = PlanComment.render(
            head: String(repeating: "a", count: 40),
            sections: [
                PlanSection(
                    workspace: "prod",
                    state: "completed",
                    summary: "Plan: 1 to add, 0 to change, 0 to destroy.",
                    runURL: "https://ui/runs/1"
                ),
                PlanSection(workspace: "dev", state: "running"),
            ],
            kind: .github
        )
        #expect(body.hasPrefix(PlanComment.marker))
        #expect(body.contains("`aaaaaaaaaaaa`"))
        #expect(
            body.contains(
                "- **prod**: completed: `Plan: 1 to add, 0 to change, 0 to destroy.` ([run](https://ui/runs/1))"
            )
        )
        #expect(body.contains("- **dev**: running"))
        #expect(body.range(of: "dev")!.lowerBound < body.range(of: "prod")!.lowerBound)
        #expect(!body.contains("<details>"))
    }

    @Test(arguments: [GitHostKind.github, .gitlab, .gitea, .bitbucketCloud, .bitbucketServer, .azureDevOps])
    func fullOutputIsFoldedAndCutToTheHostsLimit(_ kind: GitHostKind) {
        let huge = String(repeating: "  + resource line with ``` inside\n", count: 40_000)
        let body = PlanComment.render(
            head: "abc",
            sections: [
                PlanSection(workspace: "a", state: "completed", output: huge),
                PlanSection(workspace: "b", state: "completed", output: "short\n"),
            ],
            kind: kind
        )
        let limit = PullRequestComment.limit(kind)
        #expect(body.count <= limit)
        #expect(body.contains("<details><summary>Output of a</summary>") == PullRequestComment.folds(kind))
        #expect(body.contains("````\nshort\n\n````") || body.contains("```\nshort\n\n```"))
        if huge.count > limit {
            #expect(body.contains("cut to fit the host's limit of \(limit) characters"))
            // The fence is longer than the output's own backticks.
            #expect(body.contains("````\n  + resource line"))
        }
    }

    @Test func eachHostsRequests() throws {
        let token = APIToken("t")
        let create = { (kind: GitHostKind, repository: String, api: String) in
            PullRequestComment.create(
                kind: kind,
                repository: repository,
                number: 7,
                body: "b",
                apiURL: api,
                token: token
            )
        }
        #expect(
            create(.github, "o/r", "https://api.github.com")?.url
                == "https://api.github.com/repos/o/r/issues/7/comments"
        )
        #expect(
            create(.gitlab, "g/p", "https://gl/api/v4")?.url
                == "https://gl/api/v4/projects/g%2Fp/merge_requests/7/notes"
        )
        #expect(
            create(.bitbucketCloud, "w/r", "https://api.bitbucket.org/2.0")?.url
                == "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests/7/comments"
        )
        #expect(
            create(.bitbucketServer, "P/r", "https://bb")?.url
                == "https://bb/rest/api/latest/projects/P/repos/r/pull-requests/7/comments"
        )
        #expect(
            create(.azureDevOps, "o/p/r", "https://dev.azure.com")?.url
                == "https://dev.azure.com/o/p/_apis/git/repositories/r/pullRequests/7/threads?api-version=7.1"
        )
        #expect(create(.gogs, "o/r", "https://gogs") == nil)

        let edit = { (kind: GitHostKind, repository: String, api: String, reference: String) in
            PullRequestComment.edit(
                kind: kind,
                repository: repository,
                number: 7,
                reference: reference,
                body: "b",
                apiURL: api,
                token: token
            )
        }
        let github = try #require(edit(.github, "o/r", "https://api.github.com", "99"))
        #expect(github.method == "PATCH")
        #expect(github.url == "https://api.github.com/repos/o/r/issues/comments/99")
        #expect(edit(.gitlab, "g/p", "https://gl/api/v4", "5")?.method == "PUT")
        let server = try #require(edit(.bitbucketServer, "P/r", "https://bb", "12/3"))
        #expect(server.url == "https://bb/rest/api/latest/projects/P/repos/r/pull-requests/7/comments/12")
        #expect((try JSONSerialization.jsonObject(with: Data(server.body)) as? [String: Any])?["version"] as? Int == 3)
        #expect(
            edit(.azureDevOps, "o/p/r", "https://dev.azure.com", "4/1")?.url
                == "https://dev.azure.com/o/p/_apis/git/repositories/r/pullRequests/7/threads/4/comments/1?api-version=7.1"
        )

        #expect(PullRequestComment.reference(kind: .github, answer: Array(#"{"id": 42}"#.utf8)) == "42")
        #expect(
            PullRequestComment.reference(kind: .bitbucketServer, answer: Array(#"{"id": 12, "version": 4}"#.utf8))
                == "12/4"
        )
        #expect(
            PullRequestComment.reference(kind: .azureDevOps, answer: Array(#"{"id": 4, "comments": [{"id": 1}]}"#.utf8))
                == "4/1"
        )
        #expect(
            PullRequestComment.reference(
                kind: .azureDevOps,
                answer: Array(#"{"id": 1, "content": "b"}"#.utf8),
                previous: "4/1"
            ) == "4/1"
        )
    }
}
