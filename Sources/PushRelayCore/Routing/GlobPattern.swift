/// A glob over `/`-separated names (branches, tags, file paths).
///
/// `*` matches within one segment, `**` (a whole segment) matches zero or more segments (one or more at the
/// end, as in gitignore), `?` matches one
/// character other than `/`. Everything else is literal. Character classes are refused rather than
/// silently taken literally, since a user who writes `[abc]` expects a class.
package struct GlobPattern: Sendable, Equatable, CustomStringConvertible {
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case empty
        case emptySegment
        case doubleStarInsideSegment
        case characterClass

        package var description: String {
            switch self {
            case .empty: "empty pattern"
            case .emptySegment: "empty path segment (leading, trailing or doubled '/')"
            case .doubleStarInsideSegment: "'**' must be a whole segment, as in 'release/**'"
            case .characterClass: "character classes ('[...]') are not supported; use '?' or '*'"
            }
        }
    }

    private enum Segment: Sendable, Equatable {
        case anySegments
        case literal([UInt8])
        case wildcard([UInt8])
    }

    package let description: String
    private let segments: [Segment]

    package init(_ pattern: String) throws(Failure) {
        guard !pattern.isEmpty else { throw .empty }
        if pattern.contains("[") { throw .characterClass }
        var segments: [Segment] = []
        for part in pattern.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { throw .emptySegment }
            if part == "**" {
                // Consecutive `**` mean the same as one.
                if segments.last != .anySegments { segments.append(.anySegments) }
            } else if part.contains("**") {
                throw .doubleStarInsideSegment
            } else if part.contains("*") || part.contains("?") {
                segments.append(.wildcard(Array(part.utf8)))
            } else {
                segments.append(.literal(Array(part.utf8)))
            }
        }
        self.description = pattern
        self.segments = segments
    }

    package func matches(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        return Self.match(self.segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<Segment>, _ parts: ArraySlice<ArraySlice<UInt8>>) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        switch first {
        case .anySegments:
            let rest = pattern.dropFirst()
            // A trailing `**` needs something below it: `release/**` does not match `release` itself.
            if rest.isEmpty { return !parts.isEmpty }
            // Try every split point; patterns are short, so the quadratic worst case is small.
            var tail = parts
            while true {
                if self.match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        case .literal(let literal):
            guard let part = parts.first, part.elementsEqual(literal) else { return false }
            return self.match(pattern.dropFirst(), parts.dropFirst())
        case .wildcard(let wildcard):
            guard let part = parts.first, self.matchSegment(wildcard[...], part) else { return false }
            return self.match(pattern.dropFirst(), parts.dropFirst())
        }
    }

    /// Iterative `*`/`?` matcher with single backtrack point: linear in practice, never exponential.
    private static func matchSegment(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        let question = UInt8(ascii: "?")
        var p = pattern.startIndex
        var t = text.startIndex
        var starAt: Int? = nil
        var resumeAt = text.startIndex
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == question || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.endIndex, pattern[p] == star {
                starAt = p
                resumeAt = t
                p += 1
            } else if let star = starAt {
                p = star + 1
                resumeAt += 1
                t = resumeAt
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == star { p += 1 }
        return p == pattern.endIndex
    }
}
