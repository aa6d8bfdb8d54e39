import Foundation

/// A real bare Git repository in a temporary directory, and a working clone that commits and pushes to
/// it with `git` itself: what the recovery tests read back through `git http-backend`.
package final class GitRepository: Sendable {
    /// The bare repository, which `git http-backend` serves.
    package let bare: String
    private let work: String
    private let root: String

    package init() throws {
        self.root = FileManager.default.temporaryDirectory.appendingPathComponent("git-\(UUID().uuidString)").path
        self.bare = self.root + "/origin.git"
        self.work = self.root + "/work"
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        try Self.git(["init", "--quiet", "--bare", "--initial-branch=main", self.bare], in: self.root)
        try Self.git(["init", "--quiet", "--initial-branch=main", self.work], in: self.root)
        try self.git("remote", "add", "origin", self.bare)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.root)
    }

    /// Commits `files` (path → content) on the current branch and pushes it; returns the new commit.
    @discardableResult
    package func commit(
        _ files: [String: String],
        on branch: String = "main",
        message: String = "change"
    ) throws
        -> String
    {
        try self.git("checkout", "--quiet", "-B", branch)
        for (path, content) in files {
            let full = self.work + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try content.write(toFile: full, atomically: true, encoding: .utf8)
            try self.git("add", path)
        }
        try self.git("commit", "--quiet", "--allow-empty", "-m", message)
        try self.git("push", "--quiet", "origin", branch)
        return try self.head()
    }

    /// Moves `branch` on the remote to `commit`, as a force-push does.
    package func forcePush(_ branch: String, to commit: String) throws {
        try self.git("push", "--quiet", "--force", "origin", "\(commit):refs/heads/\(branch)")
    }

    /// An annotated tag (a tag object, peeled in the advertisement) or a lightweight one, pushed.
    package func tag(_ name: String, annotated: Bool) throws {
        if annotated {
            try self.git("tag", "-a", name, "-m", "release \(name)")
        } else {
            try self.git("tag", name)
        }
        try self.git("push", "--quiet", "origin", "refs/tags/\(name)")
    }

    package func deleteBranch(_ branch: String) throws {
        try self.git("push", "--quiet", "origin", "--delete", branch)
    }

    /// The working clone's current commit.
    package func head() throws -> String {
        try self.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `commit` is `other` or one of its ancestors, in the bare repository.
    package func contains(_ other: String, _ commit: String) -> Bool {
        (try? Self.git(["merge-base", "--is-ancestor", commit, other], in: self.bare)) != nil
    }

    /// The paths `head` changed since `base`, as `git diff --name-only` lists them.
    package func changedFiles(from base: String, to head: String) -> [String] {
        ((try? Self.git(["diff", "--name-only", base, head], in: self.bare)) ?? "").split(separator: "\n").map(
            String.init
        )
    }

    /// `git ls-remote` of the bare repository: (object, name) per line, as Git itself lists them.
    package func lsRemote() throws -> [(object: String, name: String)] {
        try self.git("ls-remote", self.bare).split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        }
    }

    @discardableResult
    private func git(_ arguments: String...) throws -> String {
        try Self.git(arguments, in: self.work)
    }

    @discardableResult
    static func git(_ arguments: [String], in directory: String) throws -> String {
        let environment = [
            "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com", "HOME": directory, "PATH": "/usr/bin:/bin",
            "GIT_CONFIG_NOSYSTEM": "1",
        ]
        let (status, output, problem) = try Self.run(["-C", directory] + arguments, environment: environment)
        guard status == 0 else {
            throw GitFailed(arguments: arguments, message: String(decoding: problem, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs `/usr/bin/git` to its end, its output through files (a pipe left unread could stall it).
    static func run(_ arguments: [String], environment: [String: String]) throws -> (Int32, [UInt8], [UInt8]) {
        let base = NSTemporaryDirectory() + "pushrelay-git-" + UUID().uuidString
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = try ChildProcess(
            executable: "/usr/bin/git",
            arguments: arguments,
            environment: environment,
            output: base + ".out",
            error: base + ".err"
        )
        let status = process.wait()
        let read = { (path: String) in Array((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()) }
        return (status, read(base + ".out"), read(base + ".err"))
    }
}

package struct GitFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var message: String
    package var description: String { "git \(self.arguments.joined(separator: " ")): \(self.message)" }
}

/// Git's own smart-HTTP server program, `git http-backend`, run as a CGI for one request.
package enum GitHTTPBackend {
    package struct Answer: Sendable {
        package var status: Int
        package var headers: [String: String]
        package var body: [UInt8]
    }

    /// `GET {path}?{query}` of the bare repository `repository`, whatever URL path it is served at.
    package static func get(repository: String, path: String, query: String) throws -> Answer {
        let directory = (repository as NSString).deletingLastPathComponent
        let name = (repository as NSString).lastPathComponent
        let (_, data, _) = try GitRepository.run(
            ["http-backend"],
            environment: [
                "GIT_PROJECT_ROOT": directory, "GIT_HTTP_EXPORT_ALL": "1", "REQUEST_METHOD": "GET",
                "PATH_INFO": "/\(name)/\(path)", "QUERY_STRING": query, "PATH": "/usr/bin:/bin",
                "GIT_CONFIG_NOSYSTEM": "1", "HOME": directory,
            ]
        )
        // CGI: header lines, an empty line, the body.
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
            return Answer(status: 502, headers: [:], body: data)
        }
        var answer = Answer(status: 200, headers: [:], body: Array(data[(end + 4)...]))
        for line in String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "status" { answer.status = Int(value.prefix(3)) ?? 500 } else { answer.headers[name] = value }
        }
        return answer
    }
}
