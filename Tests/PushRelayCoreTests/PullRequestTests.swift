import Foundation
import PushRelayFixtures
import Testing

@testable import PushRelayCore

/// Pull and merge requests of every provider, read and routed (SPEC section 11).
struct PullRequestTests {
    static let fixtures = PayloadFixtureTests.fixtures.filter { $0.meta.pull_request != nil }

    /// The fixture's event read by its provider, with `edit` applied to the body and `event` in place of
    /// the fixture's event header value when given.
    static func read(
        _ fixture: Fixture,
        event: String? = nil,
        edit: (String) -> String = { $0 }
    ) throws
        -> PullRequestEvent
    {
        var headers = PayloadFixtureTests.headers(for: fixture)
        if let event,
            let name = headers.fields.first(where: { $0.name.hasSuffix("-Event") || $0.name == "X-Event-Key" })?.name
        {
            headers.set(name, to: event)
        }
        var body = Array(edit(String(decoding: fixture.body, as: UTF8.self)).utf8)
        if let event, fixture.provider == "azure-devops" {
            body = Array(
                String(decoding: body, as: UTF8.self).replacingOccurrences(of: "git.pullrequest.created", with: event)
                    .utf8
            )
        }
        let delivery = try PayloadFixtureTests.provider(for: fixture.provider).read(headers: headers, body: body)
        guard case .pullRequest(let pull) = delivery.event.kind else { throw PayloadError("not a pull request") }
        return pull
    }

    /// The repository a fixture names, routing `main`-style target `master` with plans (forks and drafts as
    /// given), and a push route beside it that plans nothing.
    static func repository(
        for fixture: Fixture,
        branches: [String] = ["master"],
        allowForks: Bool = false,
        drafts: Bool = false,
        paths: [String]? = nil
    ) throws -> RepositoryConfig {
        let identities = try PayloadFixtureTests.provider(for: fixture.provider)
            .read(headers: PayloadFixtureTests.headers(for: fixture), body: fixture.body).event.repositoryIdentities
        var plan = Route(
            file: "repos/x.yaml",
            line: 3,
            branches: try PatternSet(branches),
            paths: try paths.map { try PatternSet($0) },
            workspace: "ws-1",
            template: "apply-tpl"
        )
        plan.pullRequests = PullRequestPlans(template: "plan-tpl", allowForks: allowForks, drafts: drafts)
        let push = Route(
            file: "repos/x.yaml",
            line: 9,
            branches: try PatternSet(["**"]),
            workspace: "ws-2",
            template: "t"
        )
        return RepositoryConfig(
            identity: try #require(identities.first),
            file: "repos/x.yaml",
            secrets: [],
            routes: [plan, push]
        )
    }

    static func decide(_ pull: PullRequestEvent, _ repository: RepositoryConfig) -> RefDecision {
        DeliveryDecision.decide(
            WebhookEvent(kind: .pullRequest(pull), repositoryURLs: []),
            repository: repository,
            organization: "org-1",
            via: "Github"
        )[0]
    }

    @Test func everyProviderHasAPullRequestFixture() {
        #expect(Set(Self.fixtures.map(\.provider)) == Set(PayloadFixtureTests.fixtures.map(\.provider)))
    }

    @Test(arguments: Self.fixtures)
    func readsAsTheMetaSays(_ fixture: Fixture) throws {
        let meta = try #require(fixture.meta.pull_request)
        let pull = try Self.read(fixture)
        #expect(pull.number == meta.number)
        #expect(pull.action == meta.action)
        #expect(pull.sourceBranch == meta.source_branch)
        #expect(pull.targetBranch == meta.target_branch)
        #expect(pull.headCommit == meta.head_sha)
        #expect(pull.fork == meta.fork)
        #expect(pull.notPlanning == meta.reason)
        #expect((pull.notPlanning == nil) == meta.plans)
        #expect(pull.headCommitAbbreviated == (fixture.provider == "bitbucket-cloud"))
    }

    /// Each planning fixture yields exactly one job: the plan template, the source branch, the full head
    /// sha (none for Gogs, resolved later for Bitbucket Cloud's abbreviated one).
    @Test(arguments: Self.fixtures.filter { $0.meta.pull_request?.plans == true })
    func aPlanningEventYieldsExactlyThePlan(_ fixture: Fixture) throws {
        let meta = try #require(fixture.meta.pull_request)
        let repository = try Self.repository(for: fixture, allowForks: meta.fork)
        let decision = Self.decide(try Self.read(fixture), repository)
        #expect(decision.decision == .queue)
        let abbreviated = fixture.provider == "bitbucket-cloud"
        let expected = JobSpec(
            organization: "org-1",
            workspace: "ws-1",
            template: "plan-tpl",
            overrideBranch: meta.source_branch,
            commitID: abbreviated ? "" : meta.head_sha ?? "",
            via: "Github",
            commitToResolve: abbreviated
                ? AbbreviatedCommit(host: "bitbucket.org", repository: "brydzewski/foo", hash: "507a576e59b3") : nil
        )
        #expect(decision.jobs == [expected])
        #expect(decision.reason.hasPrefix("1 plan for pull request #\(meta.number) "))
    }

    @Test func theJobBodyCarriesTheSourceBranchAndHeadAndNoCommitWhereThereIsNone() throws {
        let github = Self.decide(
            try Self.read(Fixture.load("github", "octokit-pull_request-opened")),
            try Self.repository(for: Fixture.load("github", "octokit-pull_request-opened"))
        )
        #expect(
            String(decoding: TerrakubeJobDocument(try #require(github.jobs.first)).encoded(), as: UTF8.self)
                == #"{"data":{"type":"job","attributes":{"templateReference":"plan-tpl","overrideBranch":"changes","commitId":"ec26c3e57ca3a959ca5aad62de7213c562f8c821","via":"Github"},"relationships":{"workspace":{"data":{"type":"workspace","id":"ws-1"}}}}}"#
        )
        let gogs = Fixture.load("gogs", "go-scm-pull-request-synchronized")
        let plan = Self.decide(try Self.read(gogs), try Self.repository(for: gogs))
        #expect(
            String(decoding: TerrakubeJobDocument(try #require(plan.jobs.first)).encoded(), as: UTF8.self)
                == #"{"data":{"type":"job","attributes":{"templateReference":"plan-tpl","overrideBranch":"feature","via":"Github"},"relationships":{"workspace":{"data":{"type":"workspace","id":"ws-1"}}}}}"#
        )
    }

    /// The actions that do not plan, per host, each with its reason.
    @Test func otherActionsAreIgnoredWithTheirReason() throws {
        let github = Fixture.load("github", "octokit-pull_request-opened")
        for action in ["closed", "edited", "labeled", "converted_to_draft", "review_requested"] {
            let pull = try Self.read(github) {
                $0.replacingOccurrences(of: #""action": "opened""#, with: #""action": "\#(action)""#)
            }
            let decision = Self.decide(pull, try Self.repository(for: github))
            #expect(decision.decision == .ignore)
            #expect(decision.reason == "pull request action '\(action)' does not plan")
        }
        for action in ["synchronize", "reopened", "ready_for_review"] {
            let pull = try Self.read(github) {
                $0.replacingOccurrences(of: #""action": "opened""#, with: #""action": "\#(action)""#)
            }
            #expect(Self.decide(pull, try Self.repository(for: github)).decision == .queue, "\(action)")
        }

        let gitea = Fixture.load("gitea", "go-playground-pull-request-from-fork")
        for (action, plans) in [("closed", false), ("edited", false), ("synchronize", false), ("synchronized", true)] {
            let pull = try Self.read(gitea) {
                $0.replacingOccurrences(of: #""action": "opened""#, with: #""action": "\#(action)""#)
            }
            #expect((pull.notPlanning == nil) == plans, "\(action)")
        }

        let gitlab = Fixture.load("gitlab", "gitlab-docs-merge-request-hook")
        for action in ["close", "merge", "approved", "unapproved"] {
            let pull = try Self.read(gitlab) {
                $0.replacingOccurrences(of: #""action": "open""#, with: #""action": "\#(action)""#)
            }
            #expect(pull.notPlanning == "pull request action '\(action)' does not plan")
        }
        // The fixture's `changes` take it out of draft: an update that plans, as GitHub's ready_for_review.
        let readied = try Self.read(gitlab) {
            $0.replacingOccurrences(of: #""action": "open""#, with: #""action": "update""#)
        }
        #expect(readied.notPlanning == nil)
        let edited = try Self.read(gitlab) {
            $0.replacingOccurrences(of: #""action": "open""#, with: #""action": "update""#)
                .replacingOccurrences(
                    of: "\"previous\": true,\n      \"current\": false",
                    with: "\"previous\": false,\n      \"current\": false"
                )
        }
        #expect(edited.notPlanning == "merge request update without new commits does not plan")
        let pushed = try Self.read(gitlab) {
            $0.replacingOccurrences(of: #""action": "open""#, with: #""action": "update", "oldrev": "0123456789""#)
        }
        #expect(pushed.notPlanning == nil)

        let cloud = Fixture.load("bitbucket-cloud", "go-scm-pr-created-slashbranch")
        for event in [
            "pullrequest:fulfilled", "pullrequest:rejected", "pullrequest:approved", "pullrequest:comment_created",
        ] {
            #expect(try Self.read(cloud, event: event).notPlanning == "pull request action '\(event)' does not plan")
        }
        #expect(try Self.read(cloud, event: "pullrequest:updated").notPlanning == nil)
        let server = Fixture.load("bitbucket-server", "go-playground-pr-opened")
        for event in ["pr:merged", "pr:declined", "pr:modified", "pr:reviewer:approved", "pr:comment:added"] {
            #expect(try Self.read(server, event: event).notPlanning == "pull request action '\(event)' does not plan")
        }
        #expect(try Self.read(server, event: "pr:from_ref_updated").notPlanning == nil)

        let azure = Fixture.load("azure-devops", "go-scm-pr-created")
        #expect(try Self.read(azure, event: "git.pullrequest.updated").notPlanning == nil)  // active
        #expect(try Self.read(azure, event: "git.pullrequest.merged").notPlanning != nil)
        let completed = Fixture.load("azure-devops", "go-playground-pr-updated-completed")
        #expect(try Self.read(completed).notPlanning == "pull request is completed, not active")
    }

    @Test func aForkCreatesNoJobUnlessTheRouteAllowsForks() throws {
        let fork = Fixture.load("gitea", "go-playground-pull-request-from-fork")
        let pull = try Self.read(fork)
        let refused = Self.decide(pull, try Self.repository(for: fork))
        #expect(refused.decision == .ignore)
        #expect(refused.reason == "pull request from a fork")
        #expect(Self.decide(pull, try Self.repository(for: fork, allowForks: true)).jobs.count == 1)

        // GitHub: another head repository, or one deleted since (`head.repo: null`).
        let github = Fixture.load("github", "octokit-pull_request-opened")
        var body = String(decoding: github.body, as: UTF8.self)
        let head = try #require(body.range(of: #""head": {"#))
        let name = try #require(
            body.range(of: #""full_name": "Codertocat/Hello-World""#, range: head.upperBound..<body.endIndex)
        )
        body.replaceSubrange(name, with: #""full_name": "someone/Hello-World""#)
        let fromFork = try Self.read(github) { _ in body }
        #expect(fromFork.fork)
        #expect(Self.decide(fromFork, try Self.repository(for: github)).reason == "pull request from a fork")
        let casing = try Self.read(github) { _ in
            body.replacingOccurrences(of: "someone/Hello-World", with: "codertocat/hello-world")
        }
        #expect(!casing.fork)
    }

    /// Azure DevOps names the fork a pull request comes from (`forkSource`), and marks drafts (`isDraft`).
    @Test func azureDevOpsForksAndDraftsAreTold() throws {
        let azure = Fixture.load("azure-devops", "go-scm-pr-created")
        let marker = #""pullRequestId": 1,"#
        #expect(!(try Self.read(azure)).fork)
        let fork = try Self.read(azure) {
            $0.replacingOccurrences(of: marker, with: marker + #" "forkSource": {"name": "refs/heads/mytopic"},"#)
        }
        #expect(fork.fork)
        #expect(Self.decide(fork, try Self.repository(for: azure)).reason == "pull request from a fork")
        let draft = try Self.read(azure) { $0.replacingOccurrences(of: marker, with: marker + #" "isDraft": true,"#) }
        #expect(draft.draft && !draft.fork)
    }

    @Test func aDraftWaitsUnlessTheRouteTakesDrafts() throws {
        let github = Fixture.load("github", "octokit-pull_request-opened")
        let draft = try Self.read(github) { $0.replacingOccurrences(of: #""draft": false"#, with: #""draft": true"#) }
        #expect(draft.draft)
        let waiting = Self.decide(draft, try Self.repository(for: github))
        #expect(waiting.decision == .ignore)
        #expect(waiting.reason == "draft pull request: it plans once it is ready for review")
        #expect(Self.decide(draft, try Self.repository(for: github, drafts: true)).decision == .queue)
    }

    @Test func aPullRequestIntoABranchNoRouteWatchesIsIgnored() throws {
        let github = Fixture.load("github", "octokit-pull_request-opened")  // into master
        let pull = try Self.read(github)
        let decision = Self.decide(pull, try Self.repository(for: github, branches: ["main", "release/*"]))
        #expect(decision.decision == .ignore)
        #expect(decision.reason == "no route plans pull requests into master")
        // The push route matches every branch but has no `pull_requests`: it plans nothing.
        var repository = try Self.repository(for: github)
        repository.routes.removeFirst()
        #expect(Self.decide(pull, repository).reason == "no route plans pull requests into master")
    }

    @Test func pathsMatchSinceNoPayloadListsTheChangedFiles() throws {
        let github = Fixture.load("github", "octokit-pull_request-opened")
        let decision = Self.decide(try Self.read(github), try Self.repository(for: github, paths: ["envs/prod/**"]))
        #expect(decision.jobs.count == 1)
        #expect(decision.reason.contains("paths filter matched because the changed files are unknown"))
    }

    /// One plan per pull request, head, workspace and template, and the group it supersedes in.
    @Test func aPlanIsQueuedOncePerHeadAndSupersedesItsPullRequestsOlderHeads() throws {
        let github = Fixture.load("github", "octokit-pull_request-opened")
        let job = try #require(Self.decide(try Self.read(github), try Self.repository(for: github)).jobs.first)
        let work = PullRequestPlanKey(repository: "github.com/codertocat/hello-world", pull: try Self.read(github))
            .creation(of: job, status: nil)
        #expect(work.kind == .createTerrakubeJob)
        #expect(
            work.key == "github.com/codertocat/hello-world#2 ws-1 plan-tpl ec26c3e57ca3a959ca5aad62de7213c562f8c821"
        )
        #expect(work.once)
        #expect(work.group == "github.com/codertocat/hello-world#2 ws-1 plan-tpl")

        // Without a head sha (Gogs), every planning event plans: no key, but still the newest.
        let gogs = Fixture.load("gogs", "go-scm-pull-request-synchronized")
        let unkeyed = PullRequestPlanKey(repository: "try.gitea.io/gogits/hello-world", pull: try Self.read(gogs))
            .creation(of: job, status: nil)
        #expect(unkeyed.key == nil)
        #expect(!unkeyed.once)
        #expect(unkeyed.group == "try.gitea.io/gogits/hello-world#2 ws-1 plan-tpl")
    }

    @Test func aBranchNameGitWouldRefuseIsRefused() throws {
        let github = Fixture.load("github", "octokit-pull_request-opened")
        let body = Array(
            String(decoding: github.body, as: UTF8.self)
                .replacingOccurrences(of: #""ref": "changes""#, with: #""ref": "feature/../main""#).utf8
        )
        let assessment = try DeliveryAssessment.assess(
            provider: GitHubProvider(),
            headers: WebhookHeaders([
                (name: "X-GitHub-Event", value: "pull_request"), (name: "X-GitHub-Delivery", value: "x"),
            ]),
            body: body,
            config: ReplayEvaluationTests.config,
            checksSignature: false,
            now: Date()
        )
        #expect(assessment.refusal == "pull request branch is not a valid Git ref name: it contains '..'")
    }
}

/// `pull_requests:` in a repository file.
struct PullRequestConfigTests {
    static func load(_ routes: String) throws -> (RelayConfig?, [ConfigProblem]) {
        let directory = try ConfigDirectory(
            service: ConfigDirectory.service,
            repos: ["infra.yaml": "repository: github.com/acme/infra\nroutes:\n" + routes]
        )
        defer { directory.remove() }
        return ConfigLoader(directory: directory.path, environment: ConfigDirectory.environment).validate()
    }

    @Test func aRouteTakesItsPlanTemplateAndItsForkAndDraftSettings() throws {
        let (config, problems) = try Self.load(
            """
              - branches: ["main"]
                workspace: ws-1
                template: apply
                pull_requests:
                  template_name: Plan
                  allow_forks: true
                  drafts: true
              - branches: ["dev"]
                workspace: ws-2
                template: apply
                pull_requests: {template: plan-id}

            """
        )
        #expect(problems.filter { $0.severity == .error }.isEmpty, "\(problems)")
        let routes = try #require(config?.repositories.first?.routes)
        #expect(
            routes[0].pullRequests
                == PullRequestPlans(template: "", templateName: "Plan", allowForks: true, drafts: true)
        )
        #expect(!routes[0].isResolved)
        #expect(routes[1].pullRequests == PullRequestPlans(template: "plan-id"))
    }

    @Test func mistakesAreReportedAtTheirLine() throws {
        let (_, problems) = try Self.load(
            """
              - tags: ["v*"]
                workspace: ws-1
                template: apply
                pull_requests:
                  template: plan
                  template_name: Plan
                  forks: true

            """
        )
        let messages = problems.map(\.description)
        // The file's first two lines name the repository and open `routes:`.
        #expect(messages.contains { $0.hasSuffix("repos/infra.yaml:8: give 'template' or 'template_name', not both") })
        #expect(
            messages.contains {
                $0.hasSuffix(
                    "repos/infra.yaml:9: unknown key 'forks' (expected one of: allow_forks, comment, drafts, template, template_name)"
                )
            }
        )
        #expect(
            messages.contains {
                $0.hasSuffix("repos/infra.yaml:6: 'pull_requests' needs 'branches': the target branches it plans")
            }
        )
    }
}
