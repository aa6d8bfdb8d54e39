import Foundation
import Testing

@testable import PushRelayCore

struct TerrakubeJobDocumentTests {
    static let job = JobSpec(
        organization: "d9b58bd3",
        workspace: "5ed411ca",
        template: "2db36f7c",
        overrideBranch: "refs/tags/v1.0",
        commitID: "199eddf4",
        via: "Github"
    )

    @Test func bodyIsExactlyTheSpecDocument() {
        let expected =
            #"{"data":{"type":"job","attributes":{"templateReference":"2db36f7c","overrideBranch":"refs/tags/v1.0","commitId":"199eddf4","via":"Github"},"relationships":{"workspace":{"data":{"type":"workspace","id":"5ed411ca"}}}}}"#
        #expect(String(decoding: TerrakubeJobDocument(Self.job).encoded(), as: UTF8.self) == expected)
    }

    @Test func bodyRoundTripsThroughADecoder() throws {
        var job = Self.job
        job.overrideBranch = "feature/\"quoted\"\\ünïcode\n"
        let decoded = try JSONDecoder().decode(
            TerrakubeJobDocument.self,
            from: Data(TerrakubeJobDocument(job).encoded())
        )
        #expect(decoded == TerrakubeJobDocument(job))
    }

    @Test func pathEscapesTheOrganization() {
        #expect(TerrakubeJobDocument.path(organization: "d9b58bd3") == "/api/v1/organization/d9b58bd3/job")
        #expect(TerrakubeJobDocument.path(organization: "a b/c") == "/api/v1/organization/a%20b%2Fc/job")
    }

    @Test func createdAnswerGivesTheJobID() throws {
        let body = Array(#"{"data":{"type":"job","id":"42","attributes":{}}}"#.utf8)
        #expect(try TerrakubeResponse.jobID(status: 201, retryAfter: nil, body: body) == "42")
        #expect(
            try TerrakubeResponse.jobID(status: 201, retryAfter: nil, body: Array(#"{"data":{"id":7}}"#.utf8)) == "7"
        )
    }

    @Test func onlyA201IsACreation() throws {
        let body = Array(#"{"data":{"type":"job","id":"42"}}"#.utf8)
        // Not what Terrakube answers: whether a job exists is unknown, so the retry looks first.
        for status in [200, 202, 204] {
            let failure = #expect(throws: TerrakubeFailure.self) {
                try TerrakubeResponse.jobID(status: status, retryAfter: nil, body: body)
            }
            guard case .retryable(status, _, nil, outcomeUnknown: true) = failure else {
                Issue.record("\(status): \(String(describing: failure))")
                continue
            }
        }
    }

    @Test func aRedirectIsRetriedAndNamesItsTargetWithoutCredentialsOrQuery() throws {
        let failure = #expect(throws: TerrakubeFailure.self) {
            try TerrakubeResponse.jobID(
                status: 301,
                retryAfter: nil,
                location: "https://user:secret@elsewhere.example:8443/api/v1/job?token=abc#x",
                body: Array(#"{"data":{"id":"1"}}"#.utf8)
            )
        }
        guard case .retryable(301, let reason, nil, outcomeUnknown: false) = failure else {
            Issue.record("\(String(describing: failure))")
            return
        }
        #expect(reason.contains("redirects to https://elsewhere.example:8443/api/v1/job,"), "\(reason)")
        #expect(!reason.contains("secret") && !reason.contains("abc"))
        let unnamed = TerrakubeResponse.failure(status: 308, retryAfter: nil, body: [])
        #expect(unnamed.description.contains("redirects to an unnamed place"), "\(unnamed)")
    }

    @Test func failuresAreSortedByWhatToDo() {
        let errors = Array(#"{"errors":[{"detail":"Invalid attribute: foo"}]}"#.utf8)
        #expect(throws: TerrakubeFailure.permanent(status: 400, detail: "Invalid attribute: foo")) {
            try TerrakubeResponse.jobID(status: 400, retryAfter: nil, body: errors)
        }
        #expect(
            throws: TerrakubeFailure.retryable(status: 429, reason: "Terrakube is unavailable", retryAfter: .seconds(7))
        ) {
            try TerrakubeResponse.jobID(status: 429, retryAfter: "7", body: [])
        }
        #expect(throws: TerrakubeFailure.retryable(status: 503, reason: "Terrakube is unavailable", retryAfter: nil)) {
            try TerrakubeResponse.jobID(status: 503, retryAfter: nil, body: Array("<html>".utf8))
        }
        #expect(throws: TerrakubeFailure.permanent(status: 201, detail: "answer had no job id (data.id)")) {
            try TerrakubeResponse.jobID(status: 201, retryAfter: nil, body: [])
        }
    }

    @Test func retryAfterAcceptsAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = "Tue, 14 Nov 2023 22:15:00 GMT"  // now + 100 s
        #expect(TerrakubeResponse.retryAfter(later, now: now) == .seconds(100))
        #expect(TerrakubeResponse.retryAfter("soon", now: now) == nil)
    }

    @Test func backoffStaysWithinItsCapAndHonoursRetryAfter() {
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(60))
        var generator = SystemRandomNumberGenerator()
        for attempts in 1...20 {
            let cap = min(Double(1 << min(attempts - 1, 30)), 60)
            let delay = policy.delay(afterAttempts: attempts, using: &generator)
            #expect(delay >= .zero && delay.seconds <= cap)
            #expect(policy.delay(afterAttempts: attempts, retryAfter: .seconds(30), using: &generator) >= .seconds(30))
        }
    }
}

struct TerrakubeJobListTests {
    static let spec = JobSpec(
        organization: "o",
        workspace: "ws",
        template: "tpl",
        overrideBranch: "main",
        commitID: "abc",
        via: "Github"
    )

    @Test func listedJobsAreMatchedOnEveryField() throws {
        let body = #"""
            {"data":[
              {"type":"job","id":"5","attributes":{"templateReference":"tpl","overrideBranch":"main","commitId":"abc",
               "createdDate":"2026-11-29T01:00:00.000+00:00"},
               "relationships":{"workspace":{"data":{"type":"workspace","id":"ws"}}}},
              {"type":"job","id":"6","attributes":{"templateReference":"tpl","overrideBranch":"main","commitId":"zzz"},
               "relationships":{"workspace":{"data":{"type":"workspace","id":"ws"}}}},
              {"type":"job","id":"7","attributes":{"templateReference":"tpl","overrideBranch":"main","commitId":"abc"}}
            ]}
            """#
        let jobs = try TerrakubeResponse.jobList(status: 200, retryAfter: nil, body: Array(body.utf8))
        #expect(jobs.map(\.id) == ["5", "6", "7"])
        #expect(jobs.map { $0.matches(Self.spec) } == [true, false, false])
        #expect(jobs[0].createdAt == 1_795_914_000)
    }

    @Test func filterQuotesEveryValue() {
        var spec = Self.spec
        spec.overrideBranch = "it's"
        #expect(
            TerrakubeJobQuery.filter(for: spec)
                == #"workspace.id=='ws';templateReference=='tpl';overrideBranch=='it\'s';commitId=='abc'"#
        )
    }
}
