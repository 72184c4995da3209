import Foundation
import Glibc
import VaultKeys

/// An open directory, and file operations on names inside it (`*at(2)`
/// calls). The directory is resolved once, when it is opened: whoever
/// renames it or swaps a symbolic link in afterwards cannot redirect a
/// later operation, and no operation follows a link at a name (`lstat`
/// semantics, `link(2)` without `AT_SYMLINK_FOLLOW`, `rename`, `unlink`).
final class DirectoryHandle {
    /// The path it was opened by (for messages).
    let path: String
    private let fd: Int32

    /// Opens the directory at `path`, following links on the way (the
    /// user's own layout may link a directory elsewhere).
    ///
    /// - Throws: ``PrivateFile/Failure``.
    init(path: String) throws(PrivateFile.Failure) {
        self.path = path
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw PrivateFile.Failure(path: path, operation: "open directory", code: errno) }
    }

    /// Opens the subdirectory `name` of `parent` without following a link
    /// at that name; nil when there is none.
    ///
    /// - Throws: ``PrivateFile/Failure`` (`ELOOP` or `ENOTDIR` when `name`
    ///   is a link or not a directory).
    init?(_ name: String, in parent: DirectoryHandle) throws(PrivateFile.Failure) {
        path = parent.path + "/" + name
        fd = openat(parent.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw PrivateFile.Failure(path: path, operation: "open directory", code: errno)
        }
    }

    deinit { close(fd) }

    /// The directory itself.
    func status() throws(PrivateFile.Failure) -> FileStatus {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PrivateFile.Failure(path: path, operation: "stat", code: errno) }
        return FileStatus(info)
    }

    /// What is at `name` (never following a link), nil when nothing is.
    func status(of name: String) throws(PrivateFile.Failure) -> FileStatus? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw PrivateFile.Failure(path: path + "/" + name, operation: "lstat", code: errno)
        }
        return FileStatus(info)
    }

    func exists(_ name: String) -> Bool {
        do { return try status(of: name) != nil } catch { return true }
    }

    /// Removes the name (a link removes the link, never its target).
    @discardableResult
    func unlink(_ name: String) -> Bool { unlinkat(fd, name, 0) == 0 }

    /// Gives the file at `name` the additional name `newName` in `target`.
    func link(_ name: String, to newName: String, in target: DirectoryHandle) -> Bool {
        linkat(fd, name, target.fd, newName, 0) == 0
    }

    /// Renames `name` to `newName` in `target`, atomically replacing it.
    func rename(_ name: String, to newName: String, in target: DirectoryHandle) -> Bool {
        renameat(fd, name, target.fd, newName) == 0
    }

    /// fsyncs the directory, so renames and unlinks in it are durable.
    func sync() throws(PrivateFile.Failure) {
        guard fsync(fd) == 0 else { throw PrivateFile.Failure(path: path, operation: "fsync directory", code: errno) }
    }
}
