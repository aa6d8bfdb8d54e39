/// A store whose schema this binary does not write: newer (written by a later PushRelay), or older where
/// a reader may not migrate it.
package struct StoreSchemaMismatch: Error, CustomStringConvertible {
    package var found: Int
    package var expected: Int

    package var description: String {
        if self.found > self.expected {
            return "the store's schema is version \(self.found), newer than this PushRelay's (\(self.expected)); "
                + "run the newer version, or restore a backup taken before it migrated the store"
        }
        return "the store's schema is version \(self.found), older than this PushRelay's (\(self.expected)); "
            + "start 'pushrelay serve' once to migrate it"
    }
}
