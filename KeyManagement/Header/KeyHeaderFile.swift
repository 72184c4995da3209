import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the key header beside a vault: `<vault>.keys`.
package struct KeyHeaderFile: Sendable {
    /// Path of the header file.
    package let path: String

    /// The header of the vault database at `vaultPath`.
    package init(vaultPath: String) { path = vaultPath + ".keys" }

    /// A header file at an explicit path (backups keep theirs beside them).
    package init(path: String) { self.path = path }

    /// Whether the file exists.
    package var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads and validates the header.
    ///
    /// - Throws: ``KeyError/headerNotFound(path:)``,
    ///   ``KeyError/headerDamaged(path:detail:)``,
    ///   ``KeyError/headerUnsupported(path:version:supported:)``.
    package func load() throws(KeyError) -> KeyHeader {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if !exists { throw .headerNotFound(path: path) }
            throw .headerDamaged(path: path, detail: "unreadable: \(error.localizedDescription)")
        }
        // A real header is a few KiB; refusing megabytes keeps a hostile or
        // wrong file from costing memory and parse time.
        guard data.count <= 1 << 20 else { throw .headerDamaged(path: path, detail: "file is \(data.count) bytes, too large for a key header") }
        return try KeyHeader.decode(data, path: path)
    }

    /// Writes `header` atomically with mode 0600, authenticated with `keys`
    /// (format 3: see ``HeaderMAC``). Every header simvault writes goes
    /// through here, so none is written without its MACs.
    ///
    /// - Parameter creating: refuse to replace an existing file.
    /// - Returns: the header as written, with its MACs.
    @discardableResult
    package func write(_ header: KeyHeader, authenticatedWith keys: HeaderKeys, creating: Bool = false) throws(KeyError) -> KeyHeader {
        var authenticated = try header.authenticated(with: keys)
        let data: Data
        do {
            data = try authenticated.encoded()
            // What load() will return: the same value, checksum included.
            authenticated.checksum = try authenticated.computeChecksum()
        } catch {
            throw .headerWriteFailed(path: path, detail: "cannot encode header")
        }
        do {
            try PrivateFile.write(data, to: path, mustNotExist: creating)
        } catch {
            if error.code == EEXIST { throw .headerExists(path: path) }
            throw .headerWriteFailed(path: path, detail: error.description)
        }
        return authenticated
    }

    /// Replaces an existing header atomically, then overwrites the superseded
    /// version on disk.
    ///
    /// Every header change (a removed slot, a changed password, a rotated
    /// key) leaves the previous file's blocks behind; they hold wrapped keys
    /// that must not stay readable. So the old file first gets a second,
    /// hidden name (`.<name>.retired-*`), the new header is renamed into
    /// place (a crash leaves the old or the new header, never a mix), and
    /// the retired file is then zeroed, fsynced and unlinked. A crash before
    /// that leaves the retired file for ``scrubLeftovers()``.
    ///
    /// The caller holds the vault's ``KeyLock``.
    ///
    /// - Returns: the header as written, with its MACs.
    /// - Throws: ``KeyError/headerWriteFailed(path:detail:)`` (the old header
    ///   is then unchanged).
    @discardableResult
    package func replace(with header: KeyHeader, authenticatedWith keys: HeaderKeys) throws(KeyError) -> KeyHeader {
        // Authenticated first: a failure here leaves no retired link behind.
        _ = try header.authenticated(with: keys)
        let retired = "\(directory)/.\(name).retired-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard link(path, retired) == 0 else {
            throw .headerWriteFailed(path: path, detail: "cannot link the current header aside: \(String(cString: strerror(errno)))")
        }
        let written: KeyHeader
        do {
            written = try write(header, authenticatedWith: keys)
        } catch {
            unlink(retired)
            throw error
        }
        // The new header is in place; a failure to scrub leaves the retired
        // copy for scrubLeftovers() and does not undo the change.
        try? PrivateFile.scrubAndRemove(retired)
        return written
    }

    /// Scrubs what interrupted header writes left beside the header: retired
    /// copies and temporary files. Returns how many were removed.
    ///
    /// A retired name that still points at the live header (a crash right
    /// after it was linked) is only unlinked, never overwritten. The caller
    /// holds the vault's ``KeyLock``, so no other writer's temporary file is
    /// touched.
    @discardableResult
    package func scrubLeftovers() -> Int {
        let prefixes = [".\(name).retired-", ".\(name).tmp-"]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed = 0
        for entry in entries where prefixes.contains(where: entry.hasPrefix) {
            let leftover = "\(directory)/\(entry)"
            if PrivateFile.isSameFile(leftover, path) {
                if unlink(leftover) == 0 { removed += 1 }
            } else if (try? PrivateFile.scrubAndRemove(leftover)) != nil {
                removed += 1
            }
        }
        return removed
    }

    private var directory: String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    private var name: String { (path as NSString).lastPathComponent }
}
