/// One thing wrong (or worth a warning) in the config directory, located by file and line.
package struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    package enum Severity: String, Sendable {
        case error
        case warning
    }

    package var file: String
    /// 1-based; `nil` when the problem concerns the file as a whole.
    package var line: Int?
    package var message: String
    package var severity: Severity

    package init(file: String, line: Int?, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.message = message
        self.severity = severity
    }

    /// `FILE:LINE: message`, the shape compilers use, so editors and CI annotations can jump to it.
    package var description: String {
        let location = self.line.map { "\(self.file):\($0)" } ?? self.file
        let prefix = self.severity == .warning ? "warning: " : ""
        return "\(location): \(prefix)\(self.message)"
    }
}

/// Thrown when a config directory has at least one error; carries every problem found, not just the first.
package struct ConfigLoadError: Error, Sendable, CustomStringConvertible {
    package var problems: [ConfigProblem]

    package init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    package var description: String {
        self.problems.map(\.description).joined(separator: "\n")
    }
}
