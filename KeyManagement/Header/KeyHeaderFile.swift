public import Foundation

/// Reads and writes the key header beside a vault: `<vault>.keys`.
public struct KeyHeaderFile: Sendable {
    /// Path of the header file.
    public let path: String

    /// The header of the vault database at `vaultPath`.
    public init(vaultPath: String) { path = vaultPath + ".keys" }

    /// A header file at an explicit path (backups keep theirs beside them).
    public init(path: String) { self.path = path }

    /// Whether the file exists.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads and validates the header.
    ///
    /// - Throws: ``KeyError/headerNotFound(path:)``,
    ///   ``KeyError/headerDamaged(path:detail:)``,
    ///   ``KeyError/headerUnsupported(path:version:supported:)``.
    public func load() throws(KeyError) -> KeyHeader {
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

    /// Writes `header` atomically with mode 0600.
    ///
    /// - Parameter creating: refuse to replace an existing file.
    public func write(_ header: KeyHeader, creating: Bool = false) throws(KeyError) {
        let data: Data
        do { data = try header.encoded() } catch {
            throw .headerWriteFailed(path: path, detail: "cannot encode header")
        }
        do {
            try PrivateFile.write(data, to: path, mustNotExist: creating)
        } catch {
            if error.code == EEXIST { throw .headerExists(path: path) }
            throw .headerWriteFailed(path: path, detail: error.description)
        }
    }
}
