import Foundation

/// A published webhook body from `Fixtures/<provider>/NAME.json`, with what its `.meta.json` says it is.
package struct Fixture: Sendable, CustomStringConvertible {
    package struct Meta: Decodable, Sendable {
        package struct Repository: Decodable, Sendable {
            package var clone_urls: [String: String?]?
            package var full_name: String?
            package var path_with_namespace: String?
        }

        package var provider: String
        package var event_header: String
        package var repository: Repository
        package var ref: String?
        package var branch: String?
        package var tag: String?
        package var deleted: Bool?
        package var head_commit: String?
        package var commit_count: Int?
        package var total_commits_count: Int?
        package var pull_request: PullRequest?

        /// What a pull or merge request fixture is: its action, branches, head and whether it plans.
        package struct PullRequest: Decodable, Sendable {
            package var action: String
            package var number: Int
            package var source_branch: String
            package var target_branch: String
            package var head_sha: String?
            package var fork: Bool
            package var plans: Bool
            /// Why it does not plan, when it does not.
            package var reason: String?
        }

        /// `push` from `X-GitHub-Event: push`.
        package var event: String {
            let parts = self.event_header.split(separator: ":", maxSplits: 1)
            return parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : self.event_header
        }
    }

    package let provider: String
    package let name: String
    package let body: [UInt8]
    package let meta: Meta

    package var description: String { "\(self.provider)/\(self.name)" }

    package static var root: URL {
        // `Bundle.module` of this target: its resources were copied as the `Fixtures` folder.
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    /// Every fixture of the given providers (the folder names under `Fixtures/`), sorted by name.
    package static func all(_ providers: String...) -> [Fixture] {
        providers.flatMap { provider -> [Fixture] in
            let folder = self.root.appendingPathComponent(provider)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".meta.json") }.sorted().map {
                self.load(provider, String($0.dropLast(".json".count)))
            }
        }
    }

    package static func load(_ provider: String, _ name: String) -> Fixture {
        let folder = self.root.appendingPathComponent(provider)
        // Fixtures ship with the tests; a missing one is a broken checkout, not a test outcome.
        let body = try! Data(contentsOf: folder.appendingPathComponent(name + ".json"))
        let meta = try! JSONDecoder().decode(
            Meta.self,
            from: Data(contentsOf: folder.appendingPathComponent(name + ".meta.json"))
        )
        return Fixture(provider: provider, name: name, body: Array(body), meta: meta)
    }
}
