import Foundation
import PushRelayCore
import Testing

/// What each job's commit status says (SPEC section 10), and the exact request each host kind gets for it.
struct CommitStatusTests {
    static let sha = "199eddf46df50de8d02e99bf1c5fdb4101338224"
    static func run(_ id: String) -> String? { "https://ui.example.com/organizations/o-1/workspaces/w-1/runs/\(id)" }

    /// A job's whole life, as its statuses tell it.
    static let lifecycle: [JobProgress] = [
        .queued, .terrakube(jobID: "42", state: "pending"), .terrakube(jobID: "42", state: "running"),
        .terrakube(jobID: "42", state: "waitingApproval"),
        // Terrakube goes back to `pending` between an approved plan and the apply.
        .terrakube(jobID: "42", state: "pending"), .terrakube(jobID: "42", state: "completed"),
    ]

    @Test func eachStateSaysWhatTheSpecSays() {
        let statuses = Self.lifecycle.map { CommitStatus($0, runURL: Self.run(_:)) }
        #expect(statuses.map(\.state) == [.pending, .pending, .pending, .pending, .pending, .success])
        #expect(
            statuses.map(\.description) == [
                "Queued", "Terrakube job 42: queued", "Terrakube job 42: running",
                "Terrakube job 42: waiting for approval", "Terrakube job 42: queued", "Terrakube job 42: completed",
            ]
        )
        #expect(statuses[0].targetURL == nil)
        #expect(statuses.dropFirst().allSatisfy { $0.targetURL == Self.run("42") })

        let ends: [(JobProgress, CommitStatus.State, String)] = [
            (.terrakube(jobID: "7", state: "failed"), .failure, "Terrakube job 7: failed"),
            (.terrakube(jobID: "7", state: "rejected"), .failure, "Terrakube job 7: rejected"),
            (.terrakube(jobID: "7", state: "cancelled"), .error, "Terrakube job 7: cancelled"),
            (.terrakube(jobID: "7", state: "queue"), .pending, "Terrakube job 7: queued"),
            (.expired(jobID: "7"), .error, "Terrakube job 7: no result after 6 h"),
            (.refused("HTTP 404: Workspace not found"), .error, "HTTP 404: Workspace not found"),
        ]
        for (progress, state, description) in ends {
            let status = CommitStatus(progress, runURL: Self.run(_:))
            #expect(status.state == state && status.description == description, "\(progress)")
        }
        #expect(JobProgress.terrakube(jobID: "7", state: "completed").isFinal)
        #expect(!JobProgress.terrakube(jobID: "7", state: "waitingApproval").isFinal)
        #expect(JobProgress.refused("x").isFinal && !JobProgress.queued.isFinal)
    }

    @Test func descriptionsFitGitHubsLimits() {
        let long = CommitStatus(state: .error, description: String(repeating: "é", count: 200))
        #expect(long.description.unicodeScalars.count == 140)
        #expect(long.description.hasSuffix("…"))
        // Four-byte characters (GitHub: 422 "description doesn't accept 4-byte Unicode") and control
        // characters do not get through.
        let odd = CommitStatus(state: .error, description: "feat/🚀\nrocket\u{1B}[2J")
        #expect(odd.description == "feat/\u{FFFD} rocket [2J")
        #expect(odd.description.unicodeScalars.allSatisfy { $0.value <= 0xFFFF })
        #expect(CommitStatus(state: .error, description: String(repeating: "x", count: 140)).description.count == 140)
    }

    static func post(_ progress: JobProgress, repository: String = "acme/infra") -> StatusPost {
        StatusPost(
            repository: repository,
            commit: Self.sha,
            context: "pushrelay/ws-prod",
            status: CommitStatus(progress, runURL: Self.run(_:))
        )
    }

    static func json(_ request: StatusRequest) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
    }

    static func header(_ request: StatusRequest, _ name: String) -> String? {
        request.headers.first { $0.name == name }?.value
    }

    @Test func githubGetsItsPathTokenAndBody() {
        let request = GitHubStatus.request(
            Self.post(.terrakube(jobID: "42", state: "running")),
            apiURL: "https://api.github.com",
            token: APIToken("ghp-1"),
            fallbackURL: "https://ui.example.com",
            previous: nil
        )
        #expect(request.method == "POST")
        #expect(request.url == "https://api.github.com/repos/acme/infra/statuses/\(Self.sha)")
        #expect(Self.header(request, "Authorization") == "Bearer ghp-1")
        #expect(Self.header(request, "X-GitHub-Api-Version") == "2022-11-28")
        #expect(Self.header(request, "Content-Type") == "application/json")
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == #"{"context":"pushrelay\/ws-prod","description":"Terrakube job 42: running","state":"pending","#
                + #""target_url":"https:\/\/ui.example.com\/organizations\/o-1\/workspaces\/w-1\/runs\/42"}"#
        )
        // Queued: nothing to link to yet, and no link is sent.
        let queued = GitHubStatus.request(
            Self.post(.queued),
            apiURL: "https://api.github.com",
            token: APIToken("ghp-1"),
            fallbackURL: "https://ui.example.com",
            previous: nil
        )
        #expect(Self.json(queued)["target_url"] == nil)
        #expect(Self.json(queued)["state"] as? String == "pending")
    }

    @Test func giteaUsesItsTokenScheme() {
        let request = GiteaStatus.request(
            Self.post(.terrakube(jobID: "42", state: "failed")),
            apiURL: "https://gitea.example.com/api/v1",
            token: APIToken("tea-1"),
            fallbackURL: "https://ui.example.com",
            previous: nil
        )
        #expect(request.url == "https://gitea.example.com/api/v1/repos/acme/infra/statuses/\(Self.sha)")
        #expect(Self.header(request, "Authorization") == "token tea-1")
        #expect(Self.json(request)["state"] as? String == "failure")
        #expect(Self.json(request)["context"] as? String == "pushrelay/ws-prod")
    }

    @Test func gitlabGetsTheEncodedPathAndNeverGoesBackFromRunning() {
        var previous: String?
        var states: [String] = []
        for progress in Self.lifecycle {
            let request = GitLabStatus.request(
                Self.post(progress, repository: "group/sub/infra"),
                apiURL: "https://gitlab.example.com/api/v4",
                token: APIToken("glpat-1"),
                fallbackURL: "https://ui.example.com",
                previous: previous
            )
            #expect(
                request.url == "https://gitlab.example.com/api/v4/projects/group%2Fsub%2Finfra/statuses/\(Self.sha)"
            )
            #expect(Self.header(request, "PRIVATE-TOKEN") == "glpat-1")
            #expect(Self.json(request)["name"] as? String == "pushrelay/ws-prod")
            let state = Self.json(request)["state"] as? String ?? ""
            states.append(state)
            previous = state
        }
        #expect(states == ["pending", "pending", "running", "running", "running", "success"])
        let cancelled = Self.post(.terrakube(jobID: "42", state: "cancelled"), repository: "g/p")
        #expect(GitLabStatus.state(of: cancelled, previous: "running") == "canceled")
        #expect(GitLabStatus.state(of: Self.post(.refused("no")), previous: nil) == "failed")
        #expect(
            GitLabStatus.isAlreadyThere(
                status: 400,
                body: #"{"message":{"state":["Cannot transition status via :run from :running"]}}"#
            )
        )
        #expect(!GitLabStatus.isAlreadyThere(status: 400, body: #"{"message":"sha is missing"}"#))
    }

    @Test func bitbucketCloudKeysTheStatusByItsNamesSHA1() {
        let request = BitbucketCloudStatus.request(
            Self.post(.queued, repository: "acme/infra"),
            apiURL: "https://api.bitbucket.org/2.0",
            token: APIToken("bb-1"),
            fallbackURL: "https://ui.example.com",
            previous: nil
        )
        #expect(
            request.url
                == "https://api.bitbucket.org/2.0/repositories/acme/infra/commit/\(Self.sha)/statuses/build"
        )
        #expect(Self.header(request, "Authorization") == "Bearer bb-1")
        let body = Self.json(request)
        #expect(body["key"] as? String == "d95e3b9bdcf155e8cee64792d754b606e7aeaa21")
        #expect(body["name"] as? String == "pushrelay/ws-prod")
        #expect(body["state"] as? String == "INPROGRESS")
        // Bitbucket demands a link even before there is a run.
        #expect(body["url"] as? String == "https://ui.example.com")
        let stopped = Self.post(.terrakube(jobID: "42", state: "cancelled"))
        #expect(BitbucketCloudStatus.state(of: stopped, previous: nil) == "STOPPED")
        #expect(
            BitbucketCloudStatus.state(of: Self.post(.terrakube(jobID: "4", state: "completed")), previous: nil)
                == "SUCCESSFUL"
        )
    }

    @Test func bitbucketServerPostsToTheRepositorysBuilds() {
        let request = BitbucketServerStatus.request(
            Self.post(.terrakube(jobID: "42", state: "cancelled"), repository: "PRJ/my-repo"),
            apiURL: "https://bitbucket.example.com/context",
            token: APIToken("bbs-1"),
            fallbackURL: "https://ui.example.com",
            previous: nil
        )
        #expect(
            request.url
                == "https://bitbucket.example.com/context/rest/api/latest/projects/PRJ/repos/my-repo/commits/\(Self.sha)/builds"
        )
        #expect(Self.header(request, "Authorization") == "Bearer bbs-1")
        #expect(Self.header(request, "X-Atlassian-Token") == "no-check")
        #expect(Self.json(request)["state"] as? String == "CANCELLED")
        #expect(Self.json(request)["url"] as? String == Self.run("42"))
    }

    @Test func azureDevOpsSplitsTheContextAndSendsThePATAsBasic() {
        let request = AzureDevOpsStatus.request(
            Self.post(.terrakube(jobID: "42", state: "completed"), repository: "org/project/repo"),
            apiURL: "https://dev.azure.com",
            token: APIToken("pat-123"),
            fallbackURL: "https://ui.example.com",
            previous: nil
        )
        #expect(
            request.url
                == "https://dev.azure.com/org/project/_apis/git/repositories/repo/commits/\(Self.sha)/statuses?api-version=7.1"
        )
        #expect(Self.header(request, "Authorization") == "Basic OnBhdC0xMjM=")
        let body = Self.json(request)
        #expect(body["state"] as? String == "succeeded")
        #expect((body["context"] as? [String: String]) == ["genre": "pushrelay", "name": "ws-prod"])
        #expect(body["targetUrl"] as? String == Self.run("42"))
    }

    @Test func aTokenNeverPrints() {
        let token = APIToken("ghp-secret")
        #expect("\(token)" == "<token>")
        #expect(String(reflecting: token) == "<token>")
        #expect(!String(describing: [token]).contains("ghp-secret"))
    }

    /// `check --online`'s read of each kind: the repository itself, with the same auth as posts.
    @Test func eachKindReadsTheRepositoryWithThePostsAuth() {
        let token = APIToken("t0k")
        let reads: [(StatusHostKind, String, String, String)] = [
            (.github, "acme/infra", "https://api.github.com/repos/acme/infra", "Bearer t0k"),
            (.gitea, "acme/infra", "https://git.example.com/api/v1/repos/acme/infra", "token t0k"),
            (.gitlab, "group/sub/infra", "https://gitlab.com/api/v4/projects/group%2Fsub%2Finfra", "t0k"),
            (.bitbucketCloud, "acme/infra", "https://api.bitbucket.org/2.0/repositories/acme/infra", "Bearer t0k"),
            (
                .bitbucketServer, "PRJ/infra", "https://bb.example.com/rest/api/latest/projects/PRJ/repos/infra",
                "Bearer t0k"
            ),
            (
                .azureDevOps, "org/Proj/infra",
                "https://dev.azure.com/org/Proj/_apis/git/repositories/infra?api-version=7.1", "Basic OnQwaw=="
            ),
        ]
        for (kind, repository, url, auth) in reads {
            let api =
                kind.api.defaultAPIURL ?? (kind == .gitea ? "https://git.example.com/api/v1" : "https://bb.example.com")
            let request = kind.api.readRequest(repository: repository, apiURL: api, token: token)
            #expect(request.method == "GET" && request.body.isEmpty, "\(kind)")
            #expect(request.url == url, "\(kind)")
            let header = kind == .gitlab ? "PRIVATE-TOKEN" : "Authorization"
            #expect(request.headers.first { $0.name == header }?.value == auth, "\(kind)")
        }
    }
}
