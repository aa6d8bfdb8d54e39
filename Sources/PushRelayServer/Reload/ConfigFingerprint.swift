import Foundation
import PushRelayCore

#if canImport(Glibc)
import Glibc
#endif

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

    private static func identity(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}
