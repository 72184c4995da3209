import Foundation
import Glibc
import VaultKeys

/// Hidden files a long operation builds before giving them their final
/// names (`.<name><marker><pid>-<8 hex digits>` beside the target), so a
/// crash never leaves a partial file under a real name. The pid in the name
/// lets a later run tell the leftovers of a dead process from the work of a
/// live one.
///
/// Staging files are created with `O_EXCL` (never through a link), and the
/// side files SQLite makes for them are refused as links by
/// ``SideFileLinks``.
enum StagingFiles {
    /// A fresh staging location beside `target`, e.g. marker `.partial-`.
    static func location(beside target: VaultLocation, marker: String) -> VaultLocation {
        let name = (target.path as NSString).lastPathComponent
        return VaultLocation(path: "\(target.directory)/.\(name)\(marker)\(getpid())-\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// The suffixes of the files a staging location may have: the
    /// database, its key header and SQLite's side files.
    static let fileSuffixes = ["", ".keys", "-wal", "-shm", "-journal"]

    /// Whether `path` is exactly a staging location that
    /// ``location(beside:marker:)`` makes beside `target` (the database
    /// name, not one of its side files).
    static func isLocation(_ path: String, beside target: VaultLocation, marker: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        guard path == "\(target.directory)/\(name)" else { return false }
        let prefix = ".\((target.path as NSString).lastPathComponent)\(marker)"
        guard name.hasPrefix(prefix) else { return false }
        return processID(inTail: String(name.dropFirst(prefix.count))) != nil
    }

    /// The pid of `<pid>-<8 lowercase hex digits>`, nil for anything else.
    private static func processID(inTail tail: String) -> Int32? {
        let parts = tail.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 8, parts[1].allSatisfy({ $0.isASCII && $0.isHexDigit && !$0.isUppercase }),
              !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let pid = Int32(parts[0]), pid > 0
        else { return nil }
        return pid
    }

    /// Removes staging files with `marker` whose process no longer exists;
    /// files of live processes are left alone, and so is anything that is
    /// not exactly such a name or not a regular file of this user (a name
    /// someone else planted is never a reason to delete what it points to).
    static func removeAbandoned(in directory: String, marker: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".") {
            guard let range = name.range(of: marker, options: .backwards) else { continue }
            let tail = name[range.upperBound...]
            let pid = fileSuffixes.lazy.compactMap { suffix in
                tail.hasSuffix(suffix) ? processID(inTail: String(tail.dropLast(suffix.count))) : nil
            }.first
            guard let pid, kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = directory + "/" + name
            guard let status = try? FileStatus.of(path), status.kind == .regularFile, status.isOwnedByUser else { continue }
            unlink(path)
        }
    }
}
