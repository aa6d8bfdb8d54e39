import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error, drawn only when standard error is a terminal, so that logs
/// and pipes stay clean. Lines printed while it is shown go above it.
struct ReplayProgress {
    private let total: Int
    private let shown: Bool
    private var done = 0

    /// - Parameter enabled: `false` in quiet mode or for a handful of files.
    init(total: Int, enabled: Bool) {
        self.total = total
        self.shown = enabled && isatty(STDERR_FILENO) == 1
    }

    /// Prints `line` to standard output above the bar.
    func print(_ line: String) {
        self.clear()
        // Unbuffered, so that the line is out before the bar is drawn again.
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        self.draw()
    }

    mutating func advance() {
        self.done += 1
        self.draw()
    }

    func finish() {
        self.clear()
    }

    private func draw() {
        guard self.shown, self.total > 0 else { return }
        let width = 30
        let filled = width * self.done / self.total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(self.done)/\(self.total)".utf8))
    }

    private func clear() {
        guard self.shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
