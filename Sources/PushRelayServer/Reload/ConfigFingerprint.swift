import Foundation
import PushRelayCore

/// The files a config load reads (`pushrelay.yaml`, `repos/*.yaml`, and the secret files they name), as
/// `stat` sees them through symlinks: device, inode, size and modification time. Kubernetes updates a
/// mounted ConfigMap or Secret by pointing its `..data` symlink at a new folder, which changes the inode
/// behind every file without touching the names; an editor's save changes the size or time; adding or
/// removing a repository file changes the set. Anything else in the directory (a store file kept there,
/// an editor's swap file) is not looked at.
struct ConfigFingerprint: Equatable {
    private var entries: [String: String] = [:]

    static func read(_ directory: String) -> ConfigFingerprint {
        let loader = ConfigLoader(directory: directory)
        var ignored: [ConfigProblem] = []
        let files = [directory + "/pushrelay.yaml"] + loader.repositoryFiles(problems: &ignored) + loader.secretFiles()
        var fingerprint = ConfigFingerprint()
        for file in files { fingerprint.entries[file] = Self.identity(file) ?? "missing" }
        return fingerprint
    }

    /// Foundation's view of `stat` rather than the C call: which C module owns `struct stat` differs from
    /// one build to another, and MemberImportVisibility then hides its fields.
    private static func identity(_ path: String) -> String? {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target) else { return nil }
        let time = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let fields: [Any] = [
            attributes[.systemNumber] ?? "", attributes[.systemFileNumber] ?? "", attributes[.size] ?? "", time,
        ]
        return fields.map { "\($0)" }.joined(separator: ":")
    }
}
