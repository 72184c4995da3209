import Foundation

/// Which SQLite library this process really runs. If the plain libsqlite3 is
/// mapped, its symbols may win over SQLCipher's and `PRAGMA key` would be
/// silently ignored (docs/DESIGN.md §1).
public struct EngineCheck: Sendable {
    /// `PRAGMA cipher_version`, empty when not SQLCipher.
    public let cipherVersion: String
    /// `PRAGMA cipher_provider` (e.g. `openssl`).
    public let cipherProvider: String
    /// `sqlite3_libversion()`.
    public let sqliteVersion: String
    /// Shared objects named like the plain SQLite library that are mapped
    /// into this process (from /proc/self/maps).
    public let plainSQLiteLibraries: [String]
    /// Whether SQLite's `open` refuses a symbolic link at a side file's
    /// name (``SideFileLinks``).
    public let refusesLinkedSideFiles: Bool

    /// Inspects the running process.
    public static func inspect() -> EngineCheck {
        var version = "", provider = ""
        var options = Connection.Options()
        options.usesWAL = false
        if let connection = try? Connection(path: ":memory:", key: nil, options: options) {
            version = (try? connection.cipherVersion()) ?? ""
            provider = (try? connection.scalar("PRAGMA cipher_provider", as: String.self)) ?? ""
            connection.close()
        }
        return EngineCheck(
            cipherVersion: version, cipherProvider: provider, sqliteVersion: Connection.sqliteVersion,
            plainSQLiteLibraries: mappedPlainSQLite(), refusesLinkedSideFiles: SideFileLinks.areRefused)
    }

    /// Whether the process is safe to write encrypted data with.
    public var isSafe: Bool { !cipherVersion.isEmpty && plainSQLiteLibraries.isEmpty }

    private static func mappedPlainSQLite() -> [String] {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return [] }
        var found = Set<String>()
        for line in maps.split(separator: "\n") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last, path.hasPrefix("/") else { continue }
            let name = (String(path) as NSString).lastPathComponent
            if name.hasPrefix("libsqlite3.so") { found.insert(String(path)) }
        }
        return found.sorted()
    }
}
