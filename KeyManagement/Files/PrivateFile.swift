package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files readable only by their owner (mode 0600 whatever the umask),
/// written atomically: temp file in the same directory, fsync, rename, fsync
/// of the directory. A crash leaves either the old or the new content, never
/// a mix, and never a file others can read.
package enum PrivateFile {
    /// Mode of every file simvault creates.
    package static let mode: mode_t = 0o600
    /// Mode of directories simvault creates.
    package static let directoryMode: mode_t = 0o700

    /// Failures, with the path and `strerror` text.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package let path: String
        package let operation: String
        package let code: Int32
        package init(path: String, operation: String, code: Int32) {
            self.path = path
            self.operation = operation
            self.code = code
        }
        package var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
        /// Whether the failure was ENOSPC/EDQUOT (disk full).
        package var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
    }

    /// Atomically replaces (or creates) `path` with `data`.
    ///
    /// - Parameter mustNotExist: fail with EEXIST instead of replacing.
    package static func write(_ data: Data, to path: String, mustNotExist: Bool = false) throws(Failure) {
        if mustNotExist, FileManager.default.fileExists(atPath: path) {
            throw Failure(path: path, operation: "create", code: EEXIST)
        }
        let directory = (path as NSString).deletingLastPathComponent
        let temp = "\(directory.isEmpty ? "." : directory)/.\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try createExclusive(temp)
        do throws(Failure) {
            try writeAll(fd, data, path: temp)
            guard fsync(fd) == 0 else { throw Failure(path: temp, operation: "fsync", code: errno) }
            guard close(fd) == 0 else { throw Failure(path: temp, operation: "close", code: errno) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        if mustNotExist {
            // link(2) fails if the target exists, so two concurrent creators
            // cannot both win.
            guard link(temp, path) == 0 else {
                let code = errno
                unlink(temp)
                throw Failure(path: path, operation: "create", code: code)
            }
            unlink(temp)
        } else {
            guard rename(temp, path) == 0 else {
                let code = errno
                unlink(temp)
                throw Failure(path: path, operation: "rename", code: code)
            }
        }
        try syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Creates a new empty file with mode 0600, failing if it exists.
    /// Returns an open descriptor (caller closes).
    package static func createExclusive(_ path: String) throws(Failure) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: path, operation: "create", code: errno) }
        // open(2) applies the umask, which may leave fewer bits than asked;
        // fchmod sets exactly 0600 whatever it is.
        guard fchmod(fd, mode) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw Failure(path: path, operation: "chmod", code: code)
        }
        return fd
    }

    /// Creates `path` (and parents) as directories with mode 0700 when they
    /// do not exist. Existing directories are left as they are.
    package static func createDirectory(_ path: String) throws(Failure) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(path: path, operation: "mkdir", code: ENOTDIR) }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try createDirectory(parent) }
        guard mkdir(path, directoryMode) == 0 || errno == EEXIST else {
            throw Failure(path: path, operation: "mkdir", code: errno)
        }
        _ = chmod(path, directoryMode)
    }

    /// Overwrites the whole content of `path` with zeros in place, fsyncs
    /// it, then unlinks it and fsyncs the directory.
    ///
    /// Used for superseded copies of the key header, so that removed slots
    /// and old wrapped keys do not stay readable in freed disk blocks. On
    /// file systems that write in place (ext4, xfs) the old bytes are
    /// overwritten; copy-on-write file systems and SSD wear levelling may
    /// still keep them, which no user-space program can prevent.
    package static func scrubAndRemove(_ path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw Failure(path: path, operation: "open", code: errno)
        }
        do throws(Failure) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw Failure(path: path, operation: "stat", code: errno) }
            let zeros = Data(count: Int(info.st_size))
            try writeAll(fd, zeros, path: path)
            guard fsync(fd) == 0 else { throw Failure(path: path, operation: "fsync", code: errno) }
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw Failure(path: path, operation: "unlink", code: errno) }
        let directory = (path as NSString).deletingLastPathComponent
        try syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Whether two paths name the same file (device and inode).
    package static func isSameFile(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        guard lstat(first, &a) == 0, lstat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// fsyncs a directory so that a rename or unlink in it is durable.
    package static func syncDirectory(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, operation: "open directory", code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(path: path, operation: "fsync directory", code: errno) }
    }

    private static func writeAll(_ fd: Int32, _ data: Data, path: String) throws(Failure) {
        let failure: Failure? = data.withUnsafeBytes { buffer -> Failure? in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return Failure(path: path, operation: "write", code: errno)
                }
                offset += written
            }
            return nil
        }
        if let failure { throw failure }
    }
}
