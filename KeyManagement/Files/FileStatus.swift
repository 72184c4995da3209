package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `lstat(2)` says about a path: the file itself, never what a
/// symbolic link points to.
///
/// Every file simvault opens, moves or deletes beside a vault is checked
/// with this first: someone who can write to the directory (a synced
/// folder, a shared disk, another local user when permissions slip) can
/// put a link, a directory, or a file of their own under any of the
/// vault's names.
///
/// ```swift
/// if let status = try FileStatus.of(path), let problem = status.problem(asSideFile: true) {
///     print("\(path) \(problem)")
/// }
/// ```
package struct FileStatus: Sendable, Equatable {
    /// The type of the file.
    package enum Kind: Sendable, Equatable {
        case regularFile, directory, symbolicLink, other
    }

    package let kind: Kind
    /// The owner's uid.
    package let owner: uid_t
    /// Permission bits (including setuid, setgid and sticky).
    package let permissions: mode_t
    /// How many names (hard links) the file has.
    package let linkCount: Int
    package let device: UInt64
    package let inode: UInt64
    package let size: Int64

    /// The status of `path`, or nil when nothing is there.
    ///
    /// - Throws: ``PrivateFile/Failure`` when `lstat` fails for another
    ///   reason than absence (a directory that cannot be searched, say).
    package static func of(_ path: String) throws(PrivateFile.Failure) -> FileStatus? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw PrivateFile.Failure(path: path, operation: "lstat", code: code)
        }
        return FileStatus(info)
    }

    /// The status in a `stat` structure (from `lstat`, `fstat` or `fstatat`).
    package init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regularFile
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        owner = info.st_uid
        permissions = info.st_mode & 0o7777
        linkCount = Int(info.st_nlink)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
    }

    /// The permission bits as `chmod` writes them, e.g. `0700`, `1777`.
    package var modeText: String { String(format: "%04o", permissions) }

    /// Whether the effective user of this process owns the file.
    package var isOwnedByUser: Bool { owner == geteuid() }

    /// Whether group or others may write to it.
    package var isWritableByOthers: Bool { permissions & 0o022 != 0 }

    /// Why this must not be used as a file of a vault, in words that follow
    /// its path ("is a symbolic link to …"); nil when it is a regular file
    /// owned by this user. `asSideFile` (SQLite's `-wal`, `-shm` and
    /// `-journal`, which nothing but SQLite ever names) also refuses a file
    /// with more than one name: a hard link to another file of the user.
    package func problem(at path: String, asSideFile: Bool = false) -> String? {
        switch kind {
        case .symbolicLink:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " to \($0)" } ?? ""
            return "is a symbolic link\(target)"
        case .directory: return "is a directory"
        case .other: return "is not a regular file"
        case .regularFile: break
        }
        if !isOwnedByUser { return "is owned by uid \(owner), not by this user (uid \(geteuid()))" }
        if asSideFile, linkCount > 1 { return "has \(linkCount) names (hard links to one file)" }
        return nil
    }

    /// The same file as `other` (device and inode).
    package func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }
}
