import Foundation
import PushRelayCore
import Synchronization

/// A wall clock that stands still until a test moves it.
package final class ManualClock: Sendable {
    private let time: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.time = Mutex(start)
    }

    package var now: Date { self.time.withLock { $0 } }

    package func advance(by duration: Duration) {
        self.time.withLock { $0 += duration.seconds }
    }

    /// This clock, as the dispatcher, the handlers and the store read one.
    package var clock: WorkClock { WorkClock { self.now } }
}
