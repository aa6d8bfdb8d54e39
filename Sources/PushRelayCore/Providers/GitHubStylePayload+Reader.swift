extension GitHubStylePayload {
    /// Reads the members PushRelay uses and checks the rest of the document without keeping it.
    package init(json body: [UInt8], provider: ProviderKind) throws(PayloadError) {
        do throws(JSONReader.Failure) {
            self = try JSONReader.read(body) { reader in
                var payload = GitHubStylePayload()
                var seen: UInt16 = 0
                let isObject = try reader.object(at: "") { reader, key in
                    func first(_ name: StaticString, _ bit: UInt16) -> Bool { key.isFirst(name, bit: bit, seen: &seen) }
                    if first("ref", 0) {
                        payload.ref = try reader.string(at: "ref")
                    } else if first("after", 1) {
                        payload.after = try reader.string(at: "after")
                    } else if first("before", 2) {
                        payload.before = try reader.string(at: "before")
                    } else if first("repository", 3) {
                        payload.repository = try Repository(reading: &reader)
                    } else if first("commits", 4) {
                        var commits: [Commit] = []
                        let present = try reader.array(at: "commits") { reader, index in
                            // A null element is recorded as a mismatch and leaves nothing to append.
                            if let commit = try Commit(reading: &reader, at: "commits.\(index)") {
                                commits.append(commit)
                            }
                        }
                        payload.commits = present ? commits : nil
                    } else if first("head_commit", 5) {
                        payload.head_commit = try Commit(reading: &reader, at: "head_commit", nullable: true)
                    } else if first("created", 6) {
                        payload.created = try reader.bool(at: "created")
                    } else if first("deleted", 7) {
                        payload.deleted = try reader.bool(at: "deleted")
                    } else if first("ref_type", 8) {
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
            func first(_ name: StaticString, _ bit: UInt16) -> Bool { key.isFirst(name, bit: bit, seen: &seen) }
            if first("clone_url", 0) {
                repository.clone_url = try reader.string(at: "repository.clone_url")
            } else if first("ssh_url", 1) {
                repository.ssh_url = try reader.string(at: "repository.ssh_url")
            } else if first("git_url", 2) {
                repository.git_url = try reader.string(at: "repository.git_url")
            } else if first("html_url", 3) {
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
            func first(_ name: StaticString, _ bit: UInt16) -> Bool { key.isFirst(name, bit: bit, seen: &seen) }
            if first("id", 0) {
                commit.id = try reader.string(at: "\(path()).id")
            } else if first("message", 1) {
                commit.message = try reader.string(at: "\(path()).message")
            } else if first("added", 2) {
                commit.added = try files(&reader, "added")
            } else if first("removed", 3) {
                commit.removed = try files(&reader, "removed")
            } else if first("modified", 4) {
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
