import Foundation
import Glibc

/// Removing a plaintext file whose content now lives encrypted elsewhere:
/// overwritten with zeros, fsynced, unlinked, its directory fsynced.
///
/// On SSDs (wear levelling) and copy-on-write file systems (btrfs, ZFS,
/// APFS), and under snapshots or backups, overwriting does not guarantee
/// that the old blocks are gone; only full-disk encryption does.
public enum PlaintextRemoval {
    /// - Parameter context: prefixed to error messages ("the import is
    ///   complete, but ").
    /// - Throws: ``VaultError/io(detail:)`` when the file cannot be
    ///   overwritten or synced (it is then not deleted).
    public static func overwriteAndDelete(_ path: String, context: String = "") throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw VaultError.io(detail: "\(context)\(path) could not be opened to overwrite it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let size = VaultLocation.size(of: path) ?? 0
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var written: Int64 = 0
        while written < size {
            let count = Int(min(Int64(zeros.count), size - written))
            let result = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, count, off_t(written)) }
            guard result > 0 else { throw VaultError.io(detail: "\(context)overwriting \(path) failed: \(String(cString: strerror(errno)))") }
            written += Int64(result)
        }
        guard fsync(fd) == 0 else { throw VaultError.io(detail: "\(context)fsync \(path): \(String(cString: strerror(errno)))") }
        unlink(path)
        let directory = (path as NSString).deletingLastPathComponent
        try? PrivateFile.syncDirectory(directory.isEmpty ? "." : directory)
    }
}
