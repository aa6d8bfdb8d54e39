import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PushRelayCore
import PushRelayServer
import PushRelayTestSupport
import Testing

/// The stand-in answers as Terrakube's OpenAPI spec says; the other tests rely on it.
struct TerrakubeStandInTests {
    static let job = JobSpec(
        organization: "org",
        workspace: "ws",
        template: "tpl",
        overrideBranch: "main",
        commitID: "abc",
        via: "Github"
    )

    static func post(
        _ url: String,
        token: String = "t",
        contentType: String = "application/vnd.api+json",
        body: [UInt8]
    ) async throws
        -> (Int, String?, [String: Any])
    {
        var request = HTTPClientRequest(url: url + "/api/v1/organization/org/job")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: bytes)))) as? [String: Any] ?? [:]
        return (Int(response.status.code), response.headers.first(name: "Content-Type"), json)
    }

    static func detail(_ json: [String: Any]) -> String? {
        ((json["errors"] as? [[String: Any]])?.first)?["detail"] as? String
    }

    @Test func answersLikeTerrakube() async throws {
        let standIn = TerrakubeStandIn(token: "t")
        try await standIn.whileRunning { url in
            let document = TerrakubeJobDocument(Self.job).encoded()
            let (created, type, json) = try await Self.post(url, body: document)
            #expect(created == 201)
            #expect(type == "application/vnd.api+json")
            #expect((json["data"] as? [String: Any])?["id"] as? String == "1")

            let (unauthorized, _, _) = try await Self.post(url, token: "wrong", body: document)
            #expect(unauthorized == 401)

            let (unsupported, _, unsupportedJSON) = try await Self.post(
                url,
                contentType: "application/json",
                body: document
            )
            #expect(unsupported == 415)
            #expect(Self.detail(unsupportedJSON) == "Content-Type must be application/vnd.api+json")

            let extra = Array(
                String(decoding: document, as: UTF8.self).replacingOccurrences(
                    of: #""via":"Github""#,
                    with: #""via":"Github","colour":"blue""#
                ).utf8
            )
            let (bad, _, badJSON) = try await Self.post(url, body: extra)
            #expect(bad == 400)
            #expect(Self.detail(badJSON) == "Unknown attribute 'colour' for type 'job'")

            #expect(standIn.requests.map(\.status) == [201, 401, 415, 400])
            #expect(standIn.createdJobs.count == 1)
        }
    }
}

/// The lookup that keeps an uncertain attempt from creating a second job, over the real client.
struct TerrakubeLookupTests {
    @Test func findJobsListsOnlyTheSameWorkspaceTemplateBranchAndCommit() async throws {
        let standIn = TerrakubeStandIn(token: "t")
        try await standIn.whileRunning { url in
            var logger = Logger(label: "test")
            logger.logLevel = .error
            let api = RESTTerrakubeAPI(
                client: HTTPClient.shared,
                baseURL: url,
                token: "t",
                timeout: .seconds(5),
                logger: logger
            )
            let mine = JobSpec(
                organization: "org",
                workspace: "ws",
                template: "tpl",
                overrideBranch: "it's/main",
                commitID: "abc",
                via: "Github"
            )
            var other = mine
            other.commitID = "def"
            let otherID = try await api.createJob(other)
            #expect(try await api.findJobs(like: mine).isEmpty)
            let mineID = try await api.createJob(mine)
            let found = try await api.findJobs(like: mine)
            #expect(found.map(\.id) == [mineID])
            #expect(found.first?.matches(mine) == true)
            #expect(found.first?.createdAt != nil)
            #expect(otherID != mineID)
        }
    }
}

/// Reading jobs' states, which following them rests on, over the real client: several in one request, or
/// one at a time where a server refuses the filter.
struct TerrakubeJobStateTests {
    static func api(_ url: String) -> RESTTerrakubeAPI {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return RESTTerrakubeAPI(
            client: HTTPClient.shared,
            baseURL: url,
            token: "t",
            timeout: .seconds(5),
            logger: logger
        )
    }

    @Test func severalJobsAreReadInOneRequestAsTheyMove() async throws {
        let standIn = TerrakubeStandIn(token: "t")
        try await standIn.whileRunning { url in
            let api = Self.api(url)
            var ids: [String] = []
            for commit in ["a", "b", "c"] {
                var job = TerrakubeStandInTests.job
                job.commitID = commit
                ids.append(try await api.createJob(job))
            }
            standIn.script(job: 1, "queue", "running", "waitingApproval", "completed")
            standIn.script(job: 2, "running", "failed")
            let before = standIn.requests.count
            var seen: [[String: String]] = []
            for _ in 0..<5 {
                let jobs = try await api.jobs(ids: Array(ids.prefix(2)) + ["999"], organization: "org")
                seen.append(Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0.status ?? "?") }))
            }
            #expect(seen.map { $0["1"] } == ["queue", "running", "waitingApproval", "completed", "completed"])
            #expect(seen.map { $0["2"] } == ["running", "failed", "failed", "failed", "failed"])
            #expect(seen.allSatisfy { $0["999"] == nil && $0["3"] == nil })
            // One request each time, asking for the state alone.
            let reads = standIn.requests.dropFirst(before)
            #expect(reads.count == 5)
            #expect(reads.allSatisfy { $0.method == "GET" && $0.path.contains("fields%5Bjob%5D=status") })
        }
    }

    @Test func oneJobIsReadAloneAndAMissingOneIsNil() async throws {
        let standIn = TerrakubeStandIn(token: "t")
        standIn.refuseIDFilter()
        try await standIn.whileRunning { url in
            let api = Self.api(url)
            let id = try await api.createJob(TerrakubeStandInTests.job)
            standIn.script(job: 1, "running", "cancelled")
            // The filter refused: a 400 the caller can tell from an outage, and fall back from.
            await #expect(
                throws: TerrakubeFailure.permanent(status: 400, detail: "Invalid filter: unknown operator =in=")
            ) {
                _ = try await api.jobs(ids: [id], organization: "org")
            }
            #expect(try await api.job(id: id, organization: "org")?.status == "running")
            #expect(try await api.job(id: id, organization: "org")?.status == "cancelled")
            #expect(try await api.job(id: "42", organization: "org") == nil)
        }
    }
}
