import Testing

@testable import PushRelayCore

struct RouteMatcherTests {
    static func route(
        branches: [String]? = nil,
        tags: [String]? = nil,
        paths: [String]? = nil,
        workspace: String = "ws-1",
        template: String = "tpl-1"
    ) -> Route {
        Route(
            file: "repos/infra.yaml",
            line: 1,
            branches: branches.map { try! PatternSet($0) },
            tags: tags.map { try! PatternSet($0) },
            paths: paths.map { try! PatternSet($0) },
            workspace: workspace,
            template: template
        )
    }

    static func repository(_ routes: [Route]) -> RepositoryConfig {
        RepositoryConfig(
            identity: RepositoryIdentity(host: "github.com", path: "acme/infra"),
            file: "repos/infra.yaml",
            secrets: [WebhookSecret("s")],
            routes: routes
        )
    }

    static func push(_ ref: String, files: [String]? = [], deleted: Bool = false) -> PushEvent {
        PushEvent(
            ref: GitRef(ref),
            commit: deleted ? nil : "abc123",
            deleted: deleted,
            changedFiles: files,
            changedFilesUnknownReason: files == nil ? "GitLab sent 2 of 4 commits" : nil,
            headCommitMessage: "change"
        )
    }

    static func match(_ push: PushEvent, _ routes: [Route]) -> RouteMatcher.Outcome {
        RouteMatcher.match(push, repository: self.repository(routes), organization: "org-1", via: "Github")
    }

    @Test func branchPushCreatesTheExactJob() {
        let outcome = Self.match(Self.push("refs/heads/main"), [Self.route(branches: ["main"])])
        #expect(
            outcome.jobs == [
                JobSpec(
                    organization: "org-1",
                    workspace: "ws-1",
                    template: "tpl-1",
                    overrideBranch: "main",
                    commitID: "abc123",
                    via: "Github"
                )
            ]
        )
    }

    @Test func everyMatchingRouteFiresAndIdenticalTargetsCollapse() {
        let routes = [
            Self.route(branches: ["main"], workspace: "prod"),
            Self.route(branches: ["**"], workspace: "audit"),
            Self.route(branches: ["ma*"], workspace: "prod"),  // same target as the first: one job
            Self.route(branches: ["develop"], workspace: "dev"),
        ]
        let outcome = Self.match(Self.push("refs/heads/main"), routes)
        #expect(outcome.jobs.map(\.workspace) == ["prod", "audit"])
    }

    @Test func sameWorkspaceWithAnotherTemplateIsAnotherJob() {
        let routes = [
            Self.route(branches: ["main"], template: "plan"), Self.route(branches: ["main"], template: "apply"),
        ]
        #expect(Self.match(Self.push("refs/heads/main"), routes).jobs.map(\.template) == ["plan", "apply"])
    }

    @Test func tagsAndBranchesNeverTriggerEachOther() {
        let routes = [Self.route(branches: ["v1"], workspace: "branch"), Self.route(tags: ["v*"], workspace: "tag")]
        let tag = Self.match(Self.push("refs/tags/v1"), routes)
        #expect(tag.jobs.map(\.workspace) == ["tag"])
        #expect(tag.jobs.first?.overrideBranch == "refs/tags/v1")
        #expect(Self.match(Self.push("refs/heads/v1"), routes).jobs.map(\.workspace) == ["branch"])
    }

    @Test func negatedBranchIsExcluded() {
        let routes = [Self.route(branches: ["release/**", "!release/old/**"])]
        #expect(Self.match(Self.push("refs/heads/release/2.0"), routes).jobs.count == 1)
        #expect(Self.match(Self.push("refs/heads/release/old/1.0"), routes).jobs.isEmpty)
    }

    @Test func pathsFilterOnChangedFiles() {
        let routes = [Self.route(branches: ["main"], paths: ["envs/staging/**"])]
        #expect(Self.match(Self.push("refs/heads/main", files: ["envs/staging/main.tf"]), routes).jobs.count == 1)
        #expect(
            Self.match(Self.push("refs/heads/main", files: ["envs/prod/main.tf", "README.md"]), routes).jobs.isEmpty
        )
    }

    @Test func unknownChangedFilesMatchAndSaySo() {
        let routes = [Self.route(branches: ["main"], paths: ["envs/staging/**"])]
        let outcome = Self.match(Self.push("refs/heads/main", files: nil), routes)
        #expect(outcome.jobs.count == 1)
        #expect(outcome.reason.contains("changed files are unknown (GitLab sent 2 of 4 commits)"))
    }

    @Test func deletionsAndOtherRefsCreateNothing() {
        let routes = [Self.route(branches: ["**"], tags: ["**"])]
        #expect(
            Self.match(Self.push("refs/heads/main", deleted: true), routes) == .init(jobs: [], reason: "branch deleted")
        )
        #expect(Self.match(Self.push("refs/tags/v1", deleted: true), routes) == .init(jobs: [], reason: "tag deleted"))
        #expect(Self.match(Self.push("refs/pull/1/head"), routes).jobs.isEmpty)
    }

    @Test func noMatchSaysWhichRef() {
        let outcome = Self.match(Self.push("refs/heads/feature"), [Self.route(branches: ["main"])])
        #expect(outcome == .init(jobs: [], reason: "no route matches refs/heads/feature"))
    }
}

struct SkipAndDeleteTests {
    static func push(_ message: String?, deleted: Bool = false, ref: String = "refs/heads/main") -> PushEvent {
        PushEvent(
            ref: GitRef(ref),
            commit: deleted ? nil : "abc",
            deleted: deleted,
            changedFiles: [],
            headCommitMessage: message,
            previousCommit: "old123"
        )
    }

    @Test(arguments: ["fix typo [skip ci]", "[CI SKIP] docs", "wip [skip pushrelay]"])
    func skipMarkersSkip(_ message: String) {
        let outcome = RouteMatcherTests.match(Self.push(message), [RouteMatcherTests.route(branches: ["main"])])
        #expect(outcome.jobs.isEmpty)
        #expect(outcome.reason.hasPrefix("skipped: "))
    }

    /// ASCII messages are searched as bytes; the answer must be the one of the Unicode-aware search of
    /// the lower-cased message, which stays the way for the others.
    @Test func skipMarkersAreFoundAsTheLowerCasedMessageContainsThem() {
        var random = SplitMix64(seed: 0x5C1)
        let pieces = ["[", "]", "skip", "SKIP", "Ski", "ci", "CI", " ", "pushrelay", "PushRelay", "x", "\n", "\r\n"]
        let unicode = ["[s\u{212A}ip ci]", "[SKİP CI]", "[skip ci]\u{301}", "é [ci skip]", "[skip\u{00A0}ci]"]
        let messages =
            (0..<3000).map { _ in
                (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            } + unicode
        for message in messages {
            let lowercased = message.lowercased()
            let expected = RouteMatcher.skipMarkers.first(where: lowercased.contains)
            #expect(RouteMatcher.skipMarker(in: message) == expected, "\(message.debugDescription)")
        }
        #expect(RouteMatcher.skipMarker(in: "[s\u{212A}ip ci]") == "[skip ci]", "the Kelvin sign lower-cases to k")
    }

    @Test func skipMarkersCanBeTurnedOff() {
        var repository = RouteMatcherTests.repository([RouteMatcherTests.route(branches: ["main"])])
        repository.honorSkipCI = false
        let outcome = RouteMatcher.match(
            Self.push("[skip ci]"),
            repository: repository,
            organization: "o",
            via: "Github"
        )
        #expect(outcome.jobs.count == 1)
    }

    @Test func deletionRunsOnlyTheOnDeleteTemplate() {
        var destroy = RouteMatcherTests.route(branches: ["env/*"], workspace: "ws-env", template: "tpl-apply")
        destroy.onDeleteTemplate = "tpl-destroy"
        let plain = RouteMatcherTests.route(branches: ["**"], workspace: "ws-other")
        let outcome = RouteMatcherTests.match(
            Self.push(nil, deleted: true, ref: "refs/heads/env/qa"),
            [destroy, plain]
        )
        #expect(
            outcome.jobs == [
                JobSpec(
                    organization: "org-1",
                    workspace: "ws-env",
                    template: "tpl-destroy",
                    overrideBranch: "env/qa",
                    commitID: "old123",
                    via: "Github"
                )
            ]
        )
        #expect(outcome.reason == "branch deleted: 1 on_delete job")
        #expect(
            RouteMatcherTests.match(Self.push(nil, deleted: true, ref: "refs/heads/main"), [destroy]).reason
                == "branch deleted"
        )
    }
}
