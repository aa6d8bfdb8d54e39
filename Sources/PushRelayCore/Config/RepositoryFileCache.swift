import Synchronization

/// What the loader made of each repository file, kept between loads so that a reload parses only the files
/// that changed: with 10,000 repositories, a reload after one edit costs what that file costs.
///
/// A file's entry is reused only when its text, and the default secrets it may fall back on, are the same
/// as when it was parsed, and it names no `secret_file` (whose contents may have changed behind it). The
/// environment does not change within a process, so `secret_env` values cannot either.
package final class RepositoryFileCache: Sendable {
    struct Entry {
        var text: String
        var defaults: [WebhookSecret]
        var repository: RepositoryConfig?
        /// The file's own problems (YAML, fields); not those that compare it with other files.
        var problems: [ConfigProblem]
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let parsedFiles = Mutex(0)

    package init() {}

    /// The entry of `path` when it still holds for `text` and `defaults`.
    func entry(_ path: String, text: String, defaults: [WebhookSecret]) -> Entry? {
        let entry = self.entries.withLock { entries -> Entry? in
            guard let entry = entries[path], entry.text == text, entry.defaults == defaults else { return nil }
            return entry
        }
        if entry == nil { self.parsedFiles.withLock { $0 += 1 } }
        return entry
    }

    func keep(_ path: String, _ entry: Entry) {
        self.entries.withLock { $0[path] = entry }
    }

    /// Forgets the files not in `paths` (removed from the directory).
    func keepOnly(_ paths: Set<String>) {
        self.entries.withLock { entries in entries = entries.filter { paths.contains($0.key) } }
    }

    /// How many files it holds.
    package var count: Int { self.entries.withLock { $0.count } }

    /// How many times a file had to be parsed, since it was made.
    package var parsed: Int { self.parsedFiles.withLock { $0 } }
}
