import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the config directory holds, as `stat` sees it through symlinks: each file's device, inode, size
/// and modification time. Kubernetes updates a mounted ConfigMap by pointing its `..data` symlink at a new
/// folder, which changes the inode behind every file without touching the names; an editor's save changes
/// the size or time. Either way the fingerprint differs.
struct ConfigFingerprint: Equatable {
    private var entries: [String: String] = [:]

    static func read(_ directory: String) -> ConfigFingerprint {
        var fingerprint = ConfigFingerprint()
        fingerprint.walk(directory, relative: "", depth: 0)
        return fingerprint
    }

    private mutating func walk(_ path: String, relative: String, depth: Int) {
        // Kubernetes' own `..data` and timestamped folders are reached through the symlinks; skip them
        // here so each file counts once.
        guard depth < 4, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names where !name.hasPrefix("..") {
            let full = path + "/" + name
            var info = stat()
            guard stat(full, &info) == 0 else { continue }
            let key = relative + name
            if (info.st_mode & S_IFMT) == S_IFDIR {
                self.walk(full, relative: key + "/", depth: depth + 1)
            } else {
                self.entries[key] =
                    "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            }
        }
    }
}
