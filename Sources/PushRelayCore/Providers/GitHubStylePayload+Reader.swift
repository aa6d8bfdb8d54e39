extension GitHubStylePayload {
    /// Reads the members PushRelay uses and checks the rest of the document without keeping it.
    package init(json body: [UInt8], provider: ProviderKind) throws(PayloadError) {
        do throws(JSONReader.Failure) {
            self = try JSONReader.read(body) { reader in
                var payload = GitHubStylePayload()
                var seen: UInt16 = 0
                let isObject = try reader.object(at: "") { reader, key in
                    if key.isFirst("ref", bit: 0, seen: &seen) {
                        payload.ref = try reader.string(at: "ref")
                    } else if key.isFirst("after", bit: 1, seen: &seen) {
                        payload.after = try reader.string(at: "after")
                    } else if key.isFirst("before", bit: 2, seen: &seen) {
                        payload.before = try reader.string(at: "before")
                    } else if key.isFirst("repository", bit: 3, seen: &seen) {
                        payload.repository = try Repository(reading: &reader)
                    } else if key.isFirst("commits", bit: 4, seen: &seen) {
                        var commits: [Commit] = []
                        let present = try reader.array(at: "commits") { reader, index in
                            // A null element is recorded as a mismatch and leaves nothing to append.
                            if let commit = try Commit(reading: &reader, at: "commits.\(index)") {
                                commits.append(commit)
                            }
                        }
                        payload.commits = present ? commits : nil
                    } else if key.isFirst("head_commit", bit: 5, seen: &seen) {
                        payload.head_commit = try Commit(reading: &reader, at: "head_commit", nullable: true)
                    } else if key.isFirst("created", bit: 6, seen: &seen) {
                        payload.created = try reader.bool(at: "created")
                    } else if key.isFirst("deleted", bit: 7, seen: &seen) {
                        payload.deleted = try reader.bool(at: "deleted")
                    } else if key.isFirst("ref_type", bit: 8, seen: &seen) {
                        payload.ref_type = try reader.string(at: "ref_type")
                    } else {
                        try reader.skip()
                    }
                }
                if !isObject { reader.mismatch(at: "") }
                return payload
            }
        } catch {
            switch error {
            case .syntax: throw PayloadError("body is not valid JSON")
            case .type(let path):
                throw PayloadError("body is not a \(provider.rawValue) payload: unexpected value at '\(path)'")
            }
        }
    }
}

extension GitHubStylePayload.Repository {
    /// `nil` for `null`.
    fileprivate init?(reading reader: inout JSONReader) throws {
        var repository = Self()
        var seen: UInt16 = 0
        let present = try reader.object(at: "repository") { reader, key in
            if key.isFirst("clone_url", bit: 0, seen: &seen) {
                repository.clone_url = try reader.string(at: "repository.clone_url")
            } else if key.isFirst("ssh_url", bit: 1, seen: &seen) {
                repository.ssh_url = try reader.string(at: "repository.ssh_url")
            } else if key.isFirst("git_url", bit: 2, seen: &seen) {
                repository.git_url = try reader.string(at: "repository.git_url")
            } else if key.isFirst("html_url", bit: 3, seen: &seen) {
                repository.html_url = try reader.string(at: "repository.html_url")
            } else {
                try reader.skip()
            }
        }
        guard present else { return nil }
        self = repository
    }
}

extension GitHubStylePayload.Commit {
    /// A commit; `null` is `nil` where `nullable` and a mismatch elsewhere (an element of `commits`).
    fileprivate init?(
        reading reader: inout JSONReader,
        at path: @autoclosure () -> String,
        nullable: Bool = false
    ) throws {
        var commit = Self()
        var seen: UInt16 = 0
        func files(_ reader: inout JSONReader, _ name: String) throws -> [String]? {
            var files: [String] = []
            let present = try reader.array(at: "\(path()).\(name)") { reader, index in
                // A null file name is a mismatch: JSONDecoder refuses it in `[String]`.
                guard let file = try reader.string(at: "\(path()).\(name).\(index)") else {
                    return reader.mismatch(at: "\(path()).\(name).\(index)")
                }
                files.append(file)
            }
            return present ? files : nil
        }
        let present = try reader.object(at: path()) { reader, key in
            if key.isFirst("id", bit: 0, seen: &seen) {
                commit.id = try reader.string(at: "\(path()).id")
            } else if key.isFirst("message", bit: 1, seen: &seen) {
                commit.message = try reader.string(at: "\(path()).message")
            } else if key.isFirst("added", bit: 2, seen: &seen) {
                commit.added = try files(&reader, "added")
            } else if key.isFirst("removed", bit: 3, seen: &seen) {
                commit.removed = try files(&reader, "removed")
            } else if key.isFirst("modified", bit: 4, seen: &seen) {
                commit.modified = try files(&reader, "modified")
            } else {
                try reader.skip()
            }
        }
        guard present else {
            if !nullable { reader.mismatch(at: path()) }
            return nil
        }
        self = commit
    }
}
