/// A list of globs where `!pattern` excludes: a name matches when some positive pattern matches and no
/// negative one does. A list of exclusions only (`["!main"]`) matches every other name.
package struct PatternSet: Sendable, Equatable, CustomStringConvertible {
    private let include: [GlobPattern]
    private let exclude: [GlobPattern]

    package init(include: [GlobPattern], exclude: [GlobPattern]) {
        self.include = include
        self.exclude = exclude
    }

    /// Parses `["main", "release/**", "!release/old"]`.
    /// - Throws: the first bad pattern, with its text.
    package init(_ patterns: [String]) throws(PatternSetError) {
        var include: [GlobPattern] = []
        var exclude: [GlobPattern] = []
        for text in patterns {
            do {
                if text.hasPrefix("!") {
                    exclude.append(try GlobPattern(String(text.dropFirst())))
                } else {
                    include.append(try GlobPattern(text))
                }
            } catch {
                throw PatternSetError(pattern: text, failure: error)
            }
        }
        self.init(include: include, exclude: exclude)
    }

    package func matches(_ name: String) -> Bool {
        let included = self.include.isEmpty || self.include.contains { $0.matches(name) }
        return included && !self.exclude.contains { $0.matches(name) }
    }

    package var description: String { self.patterns.joined(separator: ", ") }

    /// The patterns as written: what ``init(_:)`` reads back.
    package var patterns: [String] { self.include.map(\.description) + self.exclude.map { "!\($0)" } }
}

package struct PatternSetError: Error, Equatable, CustomStringConvertible {
    package var pattern: String
    package var failure: GlobPattern.Failure

    package var description: String { "bad pattern '\(self.pattern)': \(self.failure)" }
}
