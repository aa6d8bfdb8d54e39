import Foundation
import PushRelayCore

/// The files a config load reads (`pushrelay.yaml`, `repos/*.yaml`, and the secret files they name), as
/// `stat` sees them through symlinks: device, inode, size and modification time. Kubernetes updates a
/// mounted ConfigMap or Secret by pointing its `..data` symlink at a new folder, which changes the inode
/// behind every file without touching the names; an editor's save changes the size or time; adding or
/// removing a repository file changes the set. Anything else in the directory (a store file kept there,
/// an editor's swap file) is not looked at.
package struct ConfigFingerprint: Equatable {
    private var entries: [String: String] = [:]
    /// The secret files each config file names, as read when the file had its identity of ``entries``: a
    /// poll reads again only the files that changed, not every file of the directory.
    private var secrets: [String: [String]] = [:]

    /// - Parameter previous: the last poll's, whose secret files hold for the files that have not changed.
    package static func read(_ directory: String, previous: ConfigFingerprint? = nil) -> ConfigFingerprint {
        let loader = ConfigLoader(directory: directory)
        var ignored: [ConfigProblem] = []
        var fingerprint = ConfigFingerprint()
        var secretFiles: [String] = []
        for file in [directory + "/pushrelay.yaml"] + loader.repositoryFiles(problems: &ignored) {
            let identity = Self.identity(file) ?? "missing"
            fingerprint.entries[file] = identity
            let named =
                previous.flatMap { $0.entries[file] == identity ? $0.secrets[file] : nil }
                ?? loader.secretFiles(namedIn: file)
            fingerprint.secrets[file] = named
            secretFiles += named
        }
        for file in secretFiles { fingerprint.entries[file] = Self.identity(file) ?? "missing" }
        return fingerprint
    }

    package static func == (lhs: Self, rhs: Self) -> Bool { lhs.entries == rhs.entries }

    private static func identity(_ path: String) -> String? { FileIdentity.of(path) }
}
