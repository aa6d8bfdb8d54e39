import PushRelayCore
import Testing

/// The summary status's rule (SPEC section 13): its routes, their states, and what it shows.
struct StatusSummaryTests {
    @Test func routesArePendingUntilTheyPostAndAnUnchangedSummaryIsNotWritten() throws {
        let first = try #require(StatusSummary.merging(["p/a", "p/b"], setting: nil, into: nil))
        #expect(first.routes == ["p/a": .pending, "p/b": .pending])
        // Naming them again changes nothing; a route's state replaces pending, and is not reset by a
        // later naming.
        #expect(StatusSummary.merging(["p/a", "p/b"], setting: nil, into: first) == nil)
        let running = try #require(StatusSummary.merging(["p/a"], setting: ("p/a", .success), into: first))
        #expect(StatusSummary.merging(["p/a", "p/b"], setting: nil, into: running) == nil)
        #expect(running.routes["p/a"] == .success)
    }

    @Test(
        arguments: [
            ([:], "success", "No workspace affected"),
            (["p/a": .pending, "p/b": .pending], "pending", "0/2 jobs succeeded, 2 running"),
            (["p/a": .success, "p/b": .pending], "pending", "1/2 jobs succeeded, 1 running"),
            (["p/a": .failure, "p/b": .pending], "failure", "0/2 jobs succeeded, 1 failed, 1 running"),
            (["p/a": .success, "p/b": .error], "failure", "1/2 jobs succeeded, 1 failed"),
            (["p/a": .success, "p/b": .success], "success", "2/2 jobs succeeded"),
            (["p/a/plan": .success], "success", "1/1 plan succeeded"),
        ] as [([String: CommitStatus.State], String, String)]
    )
    func whatItShows(_ routes: [String: CommitStatus.State], state: String, description: String) {
        let status = StatusSummary(routes: routes).status
        #expect(status.state.rawValue == state)
        #expect(status.description == description)
    }
}
