/// The union of the files named by a push's commits, in first-seen order.
enum ChangedFiles {
    static func union(_ commits: [(added: [String]?, modified: [String]?, removed: [String]?)]) -> [String] {
        var seen = Set<String>()
        var files: [String] = []
        for commit in commits {
            for file in (commit.added ?? []) + (commit.modified ?? []) + (commit.removed ?? [])
            where seen.insert(file).inserted {
                files.append(file)
            }
        }
        return files
    }
}
