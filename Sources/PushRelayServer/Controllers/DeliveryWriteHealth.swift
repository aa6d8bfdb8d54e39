import Synchronization

/// Whether the last delivery could not be written (a full disk, say): from then on `/readyz` answers
/// `503` until a write the size of the largest delivery that failed succeeds, since the small write it
/// otherwise makes may still fit where a webhook's does not.
final class DeliveryWriteHealth: Sendable {
    /// The body size of the largest delivery that failed since the last success; 0 while writes succeed.
    private let failedBytes = Atomic(0)

    /// What `/readyz`'s probe must write: `nil` while writes succeed.
    var probeBytes: Int? {
        let bytes = self.failedBytes.load(ordering: .relaxed)
        return bytes > 0 ? bytes : nil
    }

    func writeFailed(bodyBytes: Int) {
        // At least a page's worth, so that an empty body's failure is not taken for a success.
        _ = self.failedBytes.max(max(bodyBytes, 4096), ordering: .relaxed)
    }

    func writeSucceeded() {
        // Read first: this runs for every delivery, and a store to a shared line costs more than a load.
        if self.failedBytes.load(ordering: .relaxed) != 0 { self.failedBytes.store(0, ordering: .relaxed) }
    }
}
