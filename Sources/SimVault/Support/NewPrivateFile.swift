package import Foundation
import Glibc
import VaultKeys

/// Creates a new file that only its owner can read (0600), atomically: the
/// content goes into a hidden temporary file in the same directory, which is
/// fsynced and then linked into place, so the file appears complete or not
/// at all, and an existing file is never replaced. A failure removes the
/// temporary file.
///
/// ```swift
/// try NewPrivateFile.create(at: "/home/ada/flows.simworkflow") { fd in
///     try ZipArchiveWriter(fileDescriptor: fd).finish()
/// }
/// ```
package enum NewPrivateFile {
    /// - Throws: ``VaultError/alreadyExists(path:)``,
    ///   ``VaultError/diskFull(detail:)``, ``VaultError/io(detail:)``, or
    ///   whatever `write` throws.
    package static func create(at path: String, _ write: (Int32) throws -> Void) throws {
        if FileManager.default.fileExists(atPath: path) { throw VaultError.alreadyExists(path: path) }
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd: Int32
        do { fd = try PrivateFile.createExclusive(temporary) } catch {
            throw error.isDiskFull ? VaultError.diskFull(detail: error.description) : VaultError.io(detail: error.description)
        }
        var linked = false
        defer {
            if !linked { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            try write(fd)
            guard fsync(fd) == 0 else { throw failure("fsync", temporary) }
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw VaultError.alreadyExists(path: path) }
            throw failure("create", path)
        }
        linked = true
        unlink(temporary)
        do { try PrivateFile.syncDirectory(directory) } catch { throw VaultError.io(detail: error.description) }
    }

    /// Writes all of `data` to `fd`.
    package static func write(_ data: Data, to fd: Int32) throws {
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", "the output file")
                }
                offset += written
            }
        }
    }

    private static func failure(_ operation: String, _ path: String) -> VaultError {
        let code = errno
        let text = "\(operation) \(path): \(String(cString: strerror(code)))"
        return code == ENOSPC || code == EDQUOT ? .diskFull(detail: text) : .io(detail: text)
    }
}
