/// A store whose schema this binary does not write: newer (written by a later PushRelay), or earlier (a
/// development schema, from before the first release, which is not migrated).
package struct StoreSchemaMismatch: Error, CustomStringConvertible {
    package var found: Int
    package var expected: Int

    package var description: String {
        if self.found == 0 {
            return "the store has no schema yet: 'pushrelay serve' creates it when it first starts"
        }
        if self.found > self.expected {
            return "the store's schema is version \(self.found), newer than this PushRelay's (\(self.expected)); "
                + "run the newer version, or restore a backup taken before it migrated the store"
        }
        return "the store's schema is version \(self.found), from a build before this PushRelay's (\(self.expected)), "
            + "which is not migrated: start a new store (move the old one away, or point the config at a new "
            + "one); to keep its deliveries, export them first with the build that wrote it "
            + "('pushrelay deliveries export', then 'pushrelay replay --to' against the new one)"
    }
}
