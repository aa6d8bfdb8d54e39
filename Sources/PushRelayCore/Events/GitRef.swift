/// A pushed ref split into what routing needs: a branch or a tag (never both), or neither for other refs.
package struct GitRef: Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        case branch(String)
        case tag(String)
        case other
    }

    package let name: String
    package let kind: Kind

    package init(_ name: String) {
        self.name = name
        if name.hasPrefix("refs/heads/") {
            self.kind = .branch(String(name.dropFirst("refs/heads/".count)))
        } else if name.hasPrefix("refs/tags/") {
            self.kind = .tag(String(name.dropFirst("refs/tags/".count)))
        } else {
            self.kind = .other
        }
    }

    package var branch: String? {
        if case .branch(let name) = self.kind { return name }
        return nil
    }

    package var tag: String? {
        if case .tag(let name) = self.kind { return name }
        return nil
    }

    /// Terrakube's `overrideBranch`: the branch name, or `refs/tags/<tag>` as Terrakube's own webhooks send.
    package var overrideBranch: String? {
        switch self.kind {
        case .branch(let name): name
        case .tag: self.name
        case .other: nil
        }
    }

    package var description: String { self.name }
}
