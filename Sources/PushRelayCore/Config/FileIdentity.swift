#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file as `stat` sees it through symlinks: device, inode, size and modification time, as one string
/// (the config reload's poll compares them). One system call a file, where Foundation's attributes (which
/// do not follow a symlink, so the path had to be resolved first) cost several and a dictionary. Here, in a
/// module that imports no SwiftNIO, `struct stat` has one defining module in every build.
package enum FileIdentity {
    /// `nil` when the file (or a symlink's target) is missing.
    package static func of(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}
