import Foundation

/// The wall clock the queue's work goes by (the handlers and the store in memory, whose clock decides what
/// is due): the system's in `serve`, and in tests one that moves only when told to, so that retries,
/// backoff floors, leases and the 6-hour follow limit are tested without waiting for them. (The dispatcher
/// reads only a claim's age, on the monotonic clock.)
package struct WorkClock: Sendable {
    private let read: @Sendable () -> Date

    package init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    package var now: Date { self.read() }

    package static let system = WorkClock { Date() }
}
