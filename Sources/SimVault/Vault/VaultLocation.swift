public import Foundation

/// Where a vault lives, and the files that belong to it.
public struct VaultLocation: Sendable, Equatable {
    /// The database file.
    public let path: String

    public init(path: String) {
        self.path = (path as NSString).expandingTildeInPath
    }

    /// The default vault path: `$SIMVAULT_PATH`, else
    /// `$XDG_DATA_HOME/simvault/vault.db`, else
    /// `~/.local/share/simvault/vault.db`.
    public static func defaultLocation(environment: [String: String] = ProcessInfo.processInfo.environment) -> VaultLocation {
        if let explicit = environment["SIMVAULT_PATH"], !explicit.isEmpty { return VaultLocation(path: explicit) }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return VaultLocation(path: data + "/simvault/vault.db")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return VaultLocation(path: home + "/.local/share/simvault/vault.db")
    }

    /// The key header beside the database.
    public var headerPath: String { path + ".keys" }
    /// SQLite's write-ahead log.
    public var walPath: String { path + "-wal" }
    /// SQLite's WAL index.
    public var shmPath: String { path + "-shm" }
    /// SQLite's rollback journal (a vault uses WAL, so none should exist;
    /// SQLite would play one back at open).
    public var rollbackJournalPath: String { path + "-journal" }
    /// The directory holding the vault.
    public var directory: String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// Database, WAL, SHM and header: every file a vault consists of.
    public var allFiles: [String] { [path, walPath, shmPath, headerPath] }

    /// Whether the database file exists.
    public var databaseExists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Size of a file in bytes, nil when absent.
    public static func size(of file: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
    }
}
