import Foundation
public import VaultKeys

/// Which SQLite library this process really runs. If the plain libsqlite3 is
/// mapped, its symbols may win over SQLCipher's and `PRAGMA key` would be
/// silently ignored (docs/DESIGN.md §1).
public struct EngineCheck: Sendable {
    /// `PRAGMA cipher_version`, empty when not SQLCipher.
    public let cipherVersion: String
    /// The parsed version (nil when empty or not a version number).
    public let engine: CipherEngine?
    /// `PRAGMA cipher_provider` (e.g. `openssl`).
    public let cipherProvider: String
    /// `sqlite3_libversion()`.
    public let sqliteVersion: String
    /// The page size this engine uses unless told otherwise
    /// (`PRAGMA cipher_default_page_size`: 1024 on SQLCipher 3, 4096 on 4).
    public let defaultPageSize: Int?
    /// The compatibility level of the engine's default settings: 3 on
    /// SQLCipher 3; on SQLCipher 4 read from its default HMAC algorithm
    /// (SHA512: 4, SHA1: 3), which a process may have changed.
    public let defaultCompatibility: Int?
    /// Shared objects named like the plain SQLite library that are mapped
    /// into this process (from /proc/self/maps).
    public let plainSQLiteLibraries: [String]
    /// Whether SQLite's `open` refuses a symbolic link at a side file's
    /// name (``SideFileLinks``).
    public let refusesLinkedSideFiles: Bool

    /// Inspects the running process.
    public static func inspect() -> EngineCheck {
        var version = "", provider = ""
        var pageSize: Int?, compatibility: Int?
        var options = Connection.Options()
        options.usesWAL = false
        if let connection = try? Connection(path: ":memory:", key: nil, options: options) {
            version = (try? connection.cipherVersion()) ?? ""
            provider = (try? connection.scalar("PRAGMA cipher_provider", as: String.self)) ?? ""
            // SQLCipher answers its pragmas as text.
            pageSize = (try? connection.scalar("PRAGMA cipher_default_page_size", as: String.self)).flatMap { $0.flatMap { Int($0) } }
            if let engine = CipherEngine(cipherVersion: version) {
                if engine.major >= 4 {
                    let hmac = (try? connection.scalar("PRAGMA cipher_default_hmac_algorithm", as: String.self)) ?? ""
                    compatibility = hmac == CipherSettings(compatibility: 3).hmacAlgorithm ? 3 : hmac == CipherSettings(compatibility: 4).hmacAlgorithm ? 4 : nil
                } else {
                    compatibility = engine.nativeCompatibility
                }
            }
            connection.close()
        }
        return EngineCheck(
            cipherVersion: version, engine: CipherEngine(cipherVersion: version), cipherProvider: provider,
            sqliteVersion: Connection.sqliteVersion, defaultPageSize: pageSize, defaultCompatibility: compatibility,
            plainSQLiteLibraries: mappedPlainSQLite(), refusesLinkedSideFiles: SideFileLinks.areRefused)
    }

    /// Whether the process is safe to write encrypted data with.
    public var isSafe: Bool { !cipherVersion.isEmpty && plainSQLiteLibraries.isEmpty && unsupportedReason == nil }

    /// Why simvault cannot run on this engine, or nil.
    public var unsupportedReason: String? {
        guard let engine else {
            return cipherVersion.isEmpty ? nil : "PRAGMA cipher_version says \"\(cipherVersion)\", which is not a SQLCipher version this simvault can judge"
        }
        return engine.unsupportedReason
    }

    /// Refuses, before anything is created, settings this engine cannot
    /// write (`init --cipher-compat 4` on SQLCipher 3), and an engine
    /// simvault does not support.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)``,
    ///   ``VaultError/engineUnsupported(detail:)``,
    ///   ``VaultError/engineNotSQLCipher(detail:)``.
    public func requireSupport(forCreating settings: CipherSettings) throws {
        if cipherVersion.isEmpty {
            throw VaultError.engineNotSQLCipher(detail: "PRAGMA cipher_version returned nothing: the process is using a SQLite library without SQLCipher")
        }
        if let reason = unsupportedReason { throw VaultError.engineUnsupported(detail: reason) }
        if let problem = settings.problem { throw VaultError.invalidArgument(detail: problem) }
        guard let engine, engine.supports(settings) else {
            throw VaultError.invalidArgument(detail: "cipher compatibility \(settings.compatibility) needs SQLCipher \(settings.compatibility) or newer, and this simvault runs on SQLCipher \(cipherVersion). Nothing was created. Leave the default (compatibility 3), which every SQLCipher from 3.4 on reads, or use a simvault built on SQLCipher \(settings.compatibility)")
        }
    }

    /// "SQLCipher 4.12.0 community on SQLite 3.51.1".
    public var summary: String {
        let provider = cipherProvider.isEmpty ? "" : " (\(cipherProvider))"
        return "SQLCipher \(cipherVersion)\(provider) on SQLite \(sqliteVersion)"
    }

    /// How `settings` differ from this engine's defaults, in words (empty
    /// when they are the defaults). Information only: every open applies
    /// the vault's settings explicitly.
    public func differences(from settings: CipherSettings) -> [String] {
        var differences: [String] = []
        if let defaultCompatibility, defaultCompatibility != settings.compatibility {
            differences.append("compatibility \(defaultCompatibility)")
        }
        if let defaultPageSize, defaultPageSize != settings.pageSize {
            differences.append("page size \(defaultPageSize)")
        }
        return differences
    }

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
